using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using MlLifecycle.Api;

namespace MlLifecycle.Functions;

/// <summary>The HTTP contract (DESIGN.md §5): each function routes to the handler the local host uses.</summary>
public sealed class HttpFunctions(LifecycleApi api)
{
    [Function("StartTraining")]
    public async Task<IActionResult> StartTraining(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "training")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new HttpResultAction(await api.StartTrainingAsync(request, client));

    [Function("GetRun")]
    public async Task<IActionResult> GetRun(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client) =>
        new HttpResultAction(await api.GetRunAsync(runId, client, request.HttpContext.RequestAborted));

    [Function("ListModels")]
    public async Task<IActionResult> ListModels(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models")] HttpRequest request) =>
        new HttpResultAction(await api.ListModelsAsync(request.HttpContext.RequestAborted));

    [Function("GetModel")]
    public async Task<IActionResult> GetModel(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{model}")] HttpRequest request,
        string model) =>
        new HttpResultAction(await api.GetModelAsync(model, request.HttpContext.RequestAborted));

    [Function("Predict")]
    public async Task<IActionResult> Predict(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "models/{model}/predict")] HttpRequest request,
        string model) =>
        new HttpResultAction(await api.PredictAsync(model, request));

    [Function("Health")]
    public async Task<IActionResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        new HttpResultAction(await api.HealthAsync(request.HttpContext.RequestAborted));

    /// <summary>Catch-all (lowest route precedence): unknown routes under <c>/api</c> get a problem-details 404.</summary>
    [Function("NoSuchRoute")]
    public IActionResult NoSuchRoute(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "{*path}")] HttpRequest request) =>
        new HttpResultAction(LifecycleApi.NoSuchRoute(request));
}
