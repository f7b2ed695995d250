using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using MlLifecycle.Core;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using MlLifecycle.Workflows.Activities;

namespace MlLifecycle.Api;

/// <summary>Drift checks over HTTP, shared by both hosts (and the CLI's <c>drift</c>): run one now, list the past ones.</summary>
public sealed partial class DriftApi(DriftMonitor monitor, ModelRegistry registry, ArtifactStore store, RegistryEvents events, TimeProvider time)
{
    /// <summary>Window of the prediction log an on-demand check covers when none is given.</summary>
    public const int DefaultHours = 24;

    /// <summary>
    /// <c>POST /api/models/{model}/drift</c>, body optional: <c>{"hours": 24}</c> (the log's last hours, default 24),
    /// <c>{"from", "to"}</c> (ISO 8601 times), or <c>{"data": "monitoring/{model}/batch.csv"}</c> (a CSV in
    /// <c>monitoring/</c>, <c>datasets/</c> or <c>scoring/</c>). 200 with the report; 404 for an unknown model or blob;
    /// 409 when the model has no champion or its champion no baseline; 400 for a bad field or unreadable CSV.
    /// </summary>
    public async Task<IResult> CheckAsync(string model, HttpRequest request)
    {
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """nothing, or {"hours": 24}, {"from": "…", "to": "…"} or {"data": "monitoring/credit/batch.csv"}""", allowEmpty: true);
        if (problem is not null)
        {
            return problem;
        }

        if (body.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object))
        {
            return Problems.BadRequest("The body must be a JSON object, or empty.");
        }

        var (check, error) = Parse(model, body);
        return error ?? await RunAsync(check!, request.HttpContext.RequestAborted);
    }

    /// <summary>Runs a check and raises its alert; the problem for a check that cannot run.</summary>
    public async Task<IResult> RunAsync(DriftCheckRequest check, CancellationToken ct)
    {
        try
        {
            var report = await monitor.CheckAsync(check, ct);
            CheckDrift.Alert(report, events);
            return Results.Json(report, LifecycleJson.Options);
        }
        catch (DriftCheckException ex)
        {
            return ex.Error switch
            {
                DriftCheckError.Missing => Problems.NotFound(ex.Message),
                DriftCheckError.Invalid => Problems.BadRequest(ex.Message),
                _ => Problems.Conflict(ex.Message),
            };
        }
    }

    /// <summary><c>GET /api/models/{model}/drift</c>: the model's checks, newest first; 404 for an unknown model.</summary>
    public async Task<IResult> ListAsync(string model, CancellationToken ct) =>
        await registry.ListVersionsAsync(model, ct) is { Count: > 0 }
            ? Results.Json(new { model, checks = await registry.ListDriftChecksAsync(model, ct) }, LifecycleJson.Options)
            : Problems.NotFound($"No model named '{model}' exists.");

    /// <summary>
    /// <c>GET /api/models/{model}/drift/{checkId}/report</c>: the check's HTML report (<see cref="DriftReportPage"/>),
    /// rendered from its stored JSON; 404 for an unknown check.
    /// </summary>
    public async Task<IResult> ReportAsync(string model, string checkId, CancellationToken ct)
    {
        if (!ModelName.IsValid(model) || !CheckIdPattern().IsMatch(checkId) || await store.TryReadAsync(ArtifactStore.Artifacts, $"{model}/drift/{checkId}.json", ct) is not { } json)
        {
            return Problems.NotFound($"Model '{model}' has no drift check '{checkId}'.");
        }

        try
        {
            using var report = JsonDocument.Parse(json.ToMemory());
            return Results.Text(DriftReportPage.Render(report.RootElement), "text/html; charset=utf-8");
        }
        catch (JsonException ex)
        {
            return Problems.Conflict($"The stored report of check '{checkId}' is not valid JSON: {ex.Message}");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9-]{1,100}$")]
    private static partial Regex CheckIdPattern();

    /// <summary>A check of the log's last <paramref name="hours"/> (id by its window, so the same window twice is one row).</summary>
    public DriftCheckRequest LastHours(string model, double hours)
    {
        var to = time.GetUtcNow();
        return Window(model, to.AddHours(-hours), to);
    }

    /// <summary>A check of a CSV blob, under an id of its own.</summary>
    public DriftCheckRequest OfData(string model, string data) =>
        new(model, $"data-{time.GetUtcNow().UtcDateTime:yyyyMMddHHmmssfff}", Data: data);

    private static DriftCheckRequest Window(string model, DateTimeOffset from, DateTimeOffset to) =>
        new(model, $"log-{from.UtcDateTime:yyyyMMddHHmmss}-{to.UtcDateTime:yyyyMMddHHmmss}", from, to);

    private (DriftCheckRequest? Check, IResult? Problem) Parse(string model, JsonElement body)
    {
        string? Text(string name) => body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        bool Has(string name) => body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

        if (Has("data"))
        {
            return Text("data") is { Length: > 0 } data
                ? (OfData(model, data), null)
                : (null, Problems.BadRequest("Field 'data' must name a CSV blob as '{container}/{blob}', e.g. 'monitoring/credit/batch.csv'.", "data"));
        }

        if (Has("from") || Has("to"))
        {
            if (!DateTimeOffset.TryParse(Text("from"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var from))
            {
                return (null, Problems.BadRequest("Field 'from' must be an ISO 8601 time such as '2026-12-01T00:00:00Z'.", "from"));
            }

            var to = time.GetUtcNow();
            if (Has("to") && !DateTimeOffset.TryParse(Text("to"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out to))
            {
                return (null, Problems.BadRequest("Field 'to' must be an ISO 8601 time such as '2026-12-02T00:00:00Z'.", "to"));
            }

            return to <= from ? (null, Problems.BadRequest("Field 'to' must be after 'from'.", "to"))
                : to - from > DriftMonitor.MaxWindow ? (null, Problems.BadRequest($"Fields 'from' and 'to' may be at most {DriftMonitor.MaxWindow.TotalHours:F0} hours apart.", "from"))
                : (Window(model, from, to), null);
        }

        var hours = (double)DefaultHours;
        if (Has("hours") && !(body.GetProperty("hours") is { ValueKind: JsonValueKind.Number } field && field.TryGetDouble(out hours) && hours > 0 && hours <= 24 * 366))
        {
            return (null, Problems.BadRequest("Field 'hours' must be a number of hours from 0 (excluded) to 8784.", "hours"));
        }

        return (LastHours(model, hours), null);
    }
}
