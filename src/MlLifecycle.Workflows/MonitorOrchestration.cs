using Microsoft.DurableTask;

namespace MlLifecycle.Workflows;

/// <summary>A scheduled check of one model over one window of the prediction log.</summary>
public sealed record MonitorRequest(string Model, DateTimeOffset From, DateTimeOffset To);

/// <summary>What a drift check found, without the per-feature evidence (that is in <see cref="Report"/>).</summary>
public sealed record DriftSummary(string Model, int Version, string CheckId, long Rows, bool Drifted, IReadOnlyList<string> DriftedFeatures, bool PredictionDrifted, string Concept, bool Alert, string Report)
{
    public static DriftSummary Of(DriftReport report) => new(
        report.Model,
        report.Version,
        report.CheckId,
        report.Rows,
        report.Drifted,
        [.. report.Features.Where(f => f.Drifted).Select(f => f.Feature)],
        report.Prediction?.Drifted == true,
        report.Concept.State,
        report.Alert,
        report.Report);
}

/// <summary>What the monitor of a window did: its check, or why there was none.</summary>
public sealed record MonitorResult(string Model, DateTimeOffset From, DateTimeOffset To, DriftSummary? Check, string? Message);

/// <summary>
/// The scheduled monitor of one model and window, started by the drift timer under the instance id
/// <see cref="InstanceId"/>: a window is checked once however often the timer fires or however many hosts run it.
/// The check (data, prediction and concept drift, recorded in the <c>drift</c> table, alerts raised) is one activity.
/// </summary>
public sealed class MonitorOrchestration : TaskOrchestrator<MonitorRequest, MonitorResult>
{
    public static string InstanceId(string model, DateTimeOffset from) => $"monitor-{model}-{from.UtcDateTime:yyyyMMddHHmm}";

    public static string CheckId(DateTimeOffset from) => $"window-{from.UtcDateTime:yyyyMMddHHmm}";

    public override async Task<MonitorResult> RunAsync(TaskOrchestrationContext context, MonitorRequest request)
    {
        try
        {
            var check = await context.CallActivityAsync<DriftSummary>(
                ActivityNames.CheckDrift,
                new DriftCheckRequest(request.Model, CheckId(request.From), request.From, request.To),
                ActivityRetry.Options);
            return new MonitorResult(request.Model, request.From, request.To, check, null);
        }
        catch (TaskFailedException ex)
        {
            // No champion or no baseline: nothing to check in this window, and nothing was recorded.
            return new MonitorResult(request.Model, request.From, request.To, null, ex.FailureDetails.ErrorMessage);
        }
    }
}
