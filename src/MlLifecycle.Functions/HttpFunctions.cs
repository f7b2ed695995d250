using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using MlLifecycle.Api;

namespace MlLifecycle.Functions;

/// <summary>
/// The HTTP contract (DESIGN.md §5): each function routes to the handler the local host uses, with the same keys: the
/// Functions host checks a function key (or the master key) for <see cref="AuthorizationLevel.Function"/>, only the
/// master key for <see cref="AuthorizationLevel.Admin"/> (what changes the registry or starts work).
/// </summary>
public sealed class HttpFunctions(LifecycleApi api, DeploymentApi deployment, ExperimentApi experiments, DriftApi drift)
{
    [Function("StartTraining")]
    public async Task<IActionResult> StartTraining(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "training")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new HttpResultAction(await api.StartTrainingAsync(request, client));

    [Function("ReproduceVersion")]
    public async Task<IActionResult> ReproduceVersion(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "models/{model}/versions/{version:int}/reproduce")] HttpRequest request,
        string model,
        int version,
        [DurableClient] DurableTaskClient client) =>
        new HttpResultAction(await api.ReproduceAsync(model, version, client, request.HttpContext.RequestAborted));

    [Function("VersionReport")]
    public async Task<IActionResult> VersionReport(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{model}/versions/{version:int}/report")] HttpRequest request,
        string model,
        int version) =>
        new HttpResultAction(await api.ReportAsync(model, version, request.HttpContext.RequestAborted));

    [Function("Dashboard")]
    public IActionResult Dashboard([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard")] HttpRequest request) =>
        new HttpResultAction(LifecycleApi.Dashboard());

    [Function("GetRun")]
    public async Task<IActionResult> GetRun(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client) =>
        new HttpResultAction(await api.GetRunAsync(runId, client, request.HttpContext.RequestAborted));

    [Function("ApproveRun")]
    public async Task<IActionResult> ApproveRun(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "runs/{runId}/approval")] HttpRequest request,
        string runId,
        [DurableClient] DurableTaskClient client) =>
        new HttpResultAction(await api.ApproveRunAsync(runId, request, client));

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

    [Function("GetAlias")]
    public async Task<IActionResult> GetAlias(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{model}/aliases/{alias}")] HttpRequest request,
        string model,
        string alias) =>
        new HttpResultAction(await deployment.GetAliasAsync(model, alias, request.HttpContext.RequestAborted));

    [Function("SetAlias")]
    public async Task<IActionResult> SetAlias(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "models/{model}/aliases/{alias}")] HttpRequest request,
        string model,
        string alias) =>
        new HttpResultAction(await deployment.SetAliasAsync(model, alias, request));

    [Function("Rollback")]
    public async Task<IActionResult> Rollback(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "models/{model}/rollback")] HttpRequest request,
        string model) =>
        new HttpResultAction(await deployment.RollbackAsync(model, request));

    [Function("GetTraffic")]
    public async Task<IActionResult> GetTraffic(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{model}/traffic")] HttpRequest request,
        string model) =>
        new HttpResultAction(await deployment.GetTrafficAsync(model, request.HttpContext.RequestAborted));

    [Function("SetTraffic")]
    public async Task<IActionResult> SetTraffic(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "models/{model}/traffic")] HttpRequest request,
        string model) =>
        new HttpResultAction(await deployment.SetTrafficAsync(model, request));

    [Function("GetHistory")]
    public async Task<IActionResult> GetHistory(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{model}/history")] HttpRequest request,
        string model) =>
        new HttpResultAction(await deployment.GetHistoryAsync(model, request.HttpContext.RequestAborted));

    [Function("SetStage")]
    public async Task<IActionResult> SetStage(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "models/{model}/versions/{version:int}/stage")] HttpRequest request,
        string model,
        int version) =>
        new HttpResultAction(await deployment.SetStageAsync(model, version, request));

    [Function("Feedback")]
    public async Task<IActionResult> Feedback(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "models/{model}/feedback")] HttpRequest request,
        string model) =>
        new HttpResultAction(await experiments.FeedbackAsync(model, request));

    [Function("GetExperiment")]
    public async Task<IActionResult> GetExperiment(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{model}/experiment")] HttpRequest request,
        string model) =>
        new HttpResultAction(await experiments.GetExperimentAsync(model, request.HttpContext.RequestAborted));

    [Function("RunDriftCheck")]
    public async Task<IActionResult> RunDriftCheck(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "models/{model}/drift")] HttpRequest request,
        string model) =>
        new HttpResultAction(await drift.CheckAsync(model, request));

    [Function("ListDriftChecks")]
    public async Task<IActionResult> ListDriftChecks(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{model}/drift")] HttpRequest request,
        string model) =>
        new HttpResultAction(await drift.ListAsync(model, request.HttpContext.RequestAborted));

    [Function("DriftReport")]
    public async Task<IActionResult> DriftReport(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{model}/drift/{checkId}/report")] HttpRequest request,
        string model,
        string checkId) =>
        new HttpResultAction(await drift.ReportAsync(model, checkId, request.HttpContext.RequestAborted));

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
