using Microsoft.DurableTask.Client;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>Answers a run that waits for approval before promoting its version (HTTP and CLI).</summary>
public static class RunApproval
{
    /// <summary>Sends the decision; null when sent, else why not (no such run, or it is not waiting for approval).</summary>
    public static async Task<string?> SendAsync(DurableTaskClient client, string runId, ApprovalDecision decision, CancellationToken ct = default)
    {
        var view = await RunView.GetAsync(client, runId, ct);
        if (view is null)
        {
            return $"Run '{runId}' does not exist.";
        }

        if (view.IsFinished || view.Stage?.StartsWith("waiting for approval", StringComparison.Ordinal) != true)
        {
            return $"Run '{runId}' is not waiting for approval (it is {view.Status}{(view.Stage is null ? "" : $": {view.Stage}")}).";
        }

        await client.RaiseEventAsync(runId, TrainingOrchestration.ApprovalEvent, decision, ct);
        return null;
    }
}
