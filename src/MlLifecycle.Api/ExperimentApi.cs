using System.Text.Json;
using Microsoft.AspNetCore.Http;
using MlLifecycle.Core;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>Feedback (ground truth for logged predictions) and the champion-vs-challenger test over HTTP, shared by both hosts.</summary>
public sealed class ExperimentApi(InferenceLog log, ChallengerExperiment experiment, ModelServer server, TimeProvider time)
{
    public const int MaxFeedback = 10_000;

    /// <summary>
    /// <c>POST /api/models/{model}/feedback</c> with <c>{"requestId", "actual"}</c> or <c>{"feedback": [...]}</c>:
    /// <c>actual</c> is the true class or value, or an array of them for a multi-row request. 202: the feedback is
    /// queued for the log, filed under its prediction's hour.
    /// </summary>
    public async Task<IResult> FeedbackAsync(string model, HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """{"requestId": "…", "actual": "good"} or {"feedback": [...]}""", 16 * 1024 * 1024);
        if (problem is not null)
        {
            return problem;
        }

        var items = body.TryGetProperty("feedback", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToList()
            : [body];
        if (items.Count > MaxFeedback)
        {
            return Problems.TooLarge($"At most {MaxFeedback} feedback items per request, got {items.Count}.", "feedback");
        }

        if (await server.RouteAsync(model, null, null, ct) is null && (await server.DescribeMissingAsync(model, null, null, ct)) is var missing && missing == ModelServer.NoSuchModel(model))
        {
            return Problems.NotFound(missing);
        }

        List<(DateTimeOffset Hour, LoggedFeedback Feedback)> accepted = [];
        foreach (var (item, i) in items.Select((x, i) => (x, i)))
        {
            var requestId = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("requestId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : null;
            if (requestId is null || InferenceLog.HourOf(requestId) is not { } hour)
            {
                return Problems.BadRequest($"Item {i}: 'requestId' must be the requestId a prediction returned (e.g. 20261201143005-…).", "requestId", i);
            }

            if (!item.TryGetProperty("actual", out var actual) || actual.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.Object)
            {
                return Problems.BadRequest($"Item {i}: 'actual' must be the true class or value (or an array of them, one per row).", "actual", i);
            }

            accepted.Add((hour, new LoggedFeedback(requestId, actual.Clone(), time.GetUtcNow())));
        }

        foreach (var (hour, feedback) in accepted)
        {
            log.Feedback(model, hour, feedback);
        }

        return Results.Json(new { model, accepted = accepted.Count }, LifecycleJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary><c>GET /api/models/{model}/experiment</c>: evaluates the champion-vs-challenger test now and reports it (acting on a new decision as the spec says).</summary>
    public async Task<IResult> GetExperimentAsync(string model, CancellationToken ct) =>
        await experiment.EvaluateAsync(model, ct) is { } report
            ? Results.Json(report, LifecycleJson.Options)
            : Problems.NotFound($"Model '{model}' runs no A/B test: set a traffic split with both 'champion' and 'challenger' weighted (PUT /api/models/{model}/traffic).");
}
