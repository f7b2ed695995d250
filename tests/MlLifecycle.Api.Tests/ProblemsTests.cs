using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Api.Tests;

public class ProblemsTests
{
    [Fact]
    public async Task ToProblem_WritesProblemDetailsWithField()
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider() };
        context.Response.Body = new MemoryStream();

        await new InvalidInputException("Field 'age' is required (row 0).", "age", 0).ToProblem().ExecuteAsync(context);

        context.Response.Body.Position = 0;
        var body = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal(400, context.Response.StatusCode);
        Assert.StartsWith("application/problem+json", context.Response.ContentType, StringComparison.Ordinal);
        Assert.Equal("age", body.RootElement.GetProperty("field").GetString());
        Assert.Equal(400, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Field 'age' is required (row 0).", body.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ToProblem_TooLarge_Is413()
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider() };
        context.Response.Body = new MemoryStream();

        await new InvalidInputException("The request has 11 rows; the limit is 10.", "rows", tooLarge: true).ToProblem().ExecuteAsync(context);

        Assert.Equal(413, context.Response.StatusCode);
    }
}
