using MlLifecycle.Core.Spec;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.CheckDrift"/> activity.</summary>
public sealed class CheckDrift(DriftMonitor monitor, RegistryEvents events, ArtifactStore store)
{
    /// <summary>
    /// Checks the window, records it, and raises an alert when something drifted; returns the verdicts (the report
    /// stays a blob) and what the champion's spec says the closed loop does.
    /// </summary>
    public async Task<DriftSummary> RunAsync(DriftCheckRequest request)
    {
        var report = await monitor.CheckAsync(request);
        var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, $"{report.Model}/{report.Version}/spec.json");
        Alert(report, events); // last: a retry after a failure above does not send the alert twice
        return DriftSummary.Of(report) with
        {
            Monitor = spec.EffectiveMonitor,
            ApprovalHours = spec.EffectiveDeployment.RequireApproval ? spec.EffectiveDeployment.ApprovalTimeoutHours : null,
        };
    }

    /// <summary>Publishes the report's alert, if it raises one (log, metric, webhook).</summary>
    public static void Alert(DriftReport report, RegistryEvents events)
    {
        if (report.Alert)
        {
            events.Publish(new DriftAlert(
                report.Model,
                report.Version,
                report.CheckId,
                report.Window?.From,
                report.Window?.To,
                report.Rows,
                [.. report.Features.Where(f => f.Drifted).Select(f => new DriftedFeature(f.Feature, f.Test, f.Statistic, f.PValue, f.Psi))],
                report.Prediction?.Drifted == true,
                report.Concept.State,
                report.Report));
        }
    }
}
