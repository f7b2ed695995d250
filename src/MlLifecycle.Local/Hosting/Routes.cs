using Microsoft.DurableTask.Client;
using MlLifecycle.Api;

namespace MlLifecycle.Local.Hosting;

/// <summary>The HTTP contract of DESIGN.md §5, routed to the same handlers as the Functions app.</summary>
public static class Routes
{
    public static IEndpointRouteBuilder MapMlLifecycleRoutes(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapPost("/training", (HttpRequest request, LifecycleApi handlers, DurableTaskClient client) => handlers.StartTrainingAsync(request, client));
        api.MapGet("/runs/{runId}", (string runId, LifecycleApi handlers, DurableTaskClient client, CancellationToken ct) => handlers.GetRunAsync(runId, client, ct));
        api.MapGet("/models", (LifecycleApi handlers, CancellationToken ct) => handlers.ListModelsAsync(ct));
        api.MapGet("/models/{model}", (string model, LifecycleApi handlers, CancellationToken ct) => handlers.GetModelAsync(model, ct));
        api.MapPost("/models/{model}/predict", (string model, HttpRequest request, LifecycleApi handlers) => handlers.PredictAsync(model, request));
        api.MapGet("/health", (LifecycleApi handlers, CancellationToken ct) => handlers.HealthAsync(ct));
        api.MapFallback((HttpRequest request) => LifecycleApi.NoSuchRoute(request));
        return app;
    }
}
