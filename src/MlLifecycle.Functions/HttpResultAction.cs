using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace MlLifecycle.Functions;

/// <summary>Lets a function return the shared handlers' <see cref="IResult"/> as the <see cref="IActionResult"/> the worker expects.</summary>
internal sealed class HttpResultAction(IResult result) : IActionResult
{
    public IResult Result { get; } = result;

    public Task ExecuteResultAsync(ActionContext context) => Result.ExecuteAsync(context.HttpContext);
}
