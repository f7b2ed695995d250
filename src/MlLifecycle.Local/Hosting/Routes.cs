using Microsoft.DurableTask.Client;
using MlLifecycle.Api;

namespace MlLifecycle.Local.Hosting;

/// <summary>
/// The HTTP contract of DESIGN.md §5, routed to the same handlers as the Functions app, asking for the same keys
/// (<see cref="RouteAccess.For"/>).
/// </summary>
public static class Routes
{
    public static IEndpointRouteBuilder MapMlLifecycleRoutes(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.AddEndpointFilter(CheckKeyAndRate);
        ((IEndpointConventionBuilder)api).Add(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder { RoutePattern.RawText: { } pattern } && endpoint.Metadata.OfType<HttpMethodMetadata>().FirstOrDefault()?.HttpMethods is [var method])
            {
                endpoint.Metadata.Add(new RouteAccess(RouteAccess.For(method, pattern["/api/".Length..])));
            }
        });
        api.MapPost("/training", (HttpRequest request, LifecycleApi handlers, DurableTaskClient client) => handlers.StartTrainingAsync(request, client));
        api.MapGet("/runs/{runId}", (string runId, LifecycleApi handlers, DurableTaskClient client, CancellationToken ct) => handlers.GetRunAsync(runId, client, ct));
        api.MapPost("/runs/{runId}/approval", (string runId, HttpRequest request, LifecycleApi handlers, DurableTaskClient client) => handlers.ApproveRunAsync(runId, request, client));
        api.MapGet("/models", (LifecycleApi handlers, CancellationToken ct) => handlers.ListModelsAsync(ct));
        api.MapGet("/models/{model}", (string model, LifecycleApi handlers, CancellationToken ct) => handlers.GetModelAsync(model, ct));
        api.MapPost("/models/{model}/predict", (string model, HttpRequest request, LifecycleApi handlers) => handlers.PredictAsync(model, request));
        api.MapGet("/models/{model}/aliases/{alias}", (string model, string alias, DeploymentApi handlers, CancellationToken ct) => handlers.GetAliasAsync(model, alias, ct));
        api.MapPut("/models/{model}/aliases/{alias}", (string model, string alias, HttpRequest request, DeploymentApi handlers) => handlers.SetAliasAsync(model, alias, request));
        api.MapPost("/models/{model}/rollback", (string model, HttpRequest request, DeploymentApi handlers) => handlers.RollbackAsync(model, request));
        api.MapGet("/models/{model}/traffic", (string model, DeploymentApi handlers, CancellationToken ct) => handlers.GetTrafficAsync(model, ct));
        api.MapPut("/models/{model}/traffic", (string model, HttpRequest request, DeploymentApi handlers) => handlers.SetTrafficAsync(model, request));
        api.MapGet("/models/{model}/history", (string model, DeploymentApi handlers, CancellationToken ct) => handlers.GetHistoryAsync(model, ct));
        api.MapPut("/models/{model}/versions/{version:int}/stage", (string model, int version, HttpRequest request, DeploymentApi handlers) => handlers.SetStageAsync(model, version, request));
        api.MapGet("/models/{model}/versions/{version:int}/report", (string model, int version, LifecycleApi handlers, CancellationToken ct) => handlers.ReportAsync(model, version, ct));
        api.MapPost("/models/{model}/versions/{version:int}/reproduce", (string model, int version, LifecycleApi handlers, DurableTaskClient client, CancellationToken ct) => handlers.ReproduceAsync(model, version, client, ct));
        api.MapPost("/models/{model}/feedback", (string model, HttpRequest request, ExperimentApi handlers) => handlers.FeedbackAsync(model, request));
        api.MapGet("/models/{model}/experiment", (string model, ExperimentApi handlers, CancellationToken ct) => handlers.GetExperimentAsync(model, ct));
        api.MapPost("/models/{model}/drift", (string model, HttpRequest request, DriftApi handlers) => handlers.CheckAsync(model, request));
        api.MapGet("/models/{model}/drift", (string model, DriftApi handlers, CancellationToken ct) => handlers.ListAsync(model, ct));
        api.MapGet("/models/{model}/drift/{checkId}/report", (string model, string checkId, DriftApi handlers, CancellationToken ct) => handlers.ReportAsync(model, checkId, ct));
        api.MapGet("/health", (LifecycleApi handlers, CancellationToken ct) => handlers.HealthAsync(ct));
        api.MapGet("/dashboard", LifecycleApi.Dashboard);
        app.MapGet("/", LifecycleApi.Dashboard).WithMetadata(new RouteAccess(Access.Anonymous));
        api.MapPost("/models/{model}/batch", (string model, HttpRequest request, BatchApi handlers, DurableTaskClient client) => handlers.StartAsync(model, request, client));
        api.MapGet("/batch/{jobId}", (string jobId, BatchApi handlers, DurableTaskClient client, CancellationToken ct) => handlers.GetAsync(jobId, client, ct));
        api.MapFallback((HttpRequest request) => LifecycleApi.NoSuchRoute(request)).WithMetadata(new RouteAccess(Access.Anonymous));
        app.MapFallback((HttpRequest request) => LifecycleApi.NoSuchRoute(request));
        return app;
    }

    /// <summary>
    /// The rate limit first (per key; per client address without a valid key, so guessing keys is limited too), then
    /// the key the route needs (<see cref="RouteAccess"/>).
    /// </summary>
    private static async ValueTask<object?> CheckKeyAndRate(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var keys = http.RequestServices.GetRequiredService<ApiKeys>();
        var presented = ApiKeys.Presented(http.Request);
        var granted = keys.Grant(presented);
        var needed = http.GetEndpoint()?.Metadata.GetMetadata<RouteAccess>()?.Level ?? Access.Function;
        return http.RequestServices.GetRequiredService<RequestRate>().Admit(granted?.ToString(), http.Connection.RemoteIpAddress?.ToString() ?? "unknown") ?? ApiKeys.Authorize(granted, presented is not null, needed) ?? await next(context);
    }
}
