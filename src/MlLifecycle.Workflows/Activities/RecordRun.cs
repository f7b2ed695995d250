using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.RecordRun"/> activity.</summary>
public sealed class RecordRun(ModelRegistry registry)
{
    public Task RunAsync(RunResult result) =>
        registry.RecordRunAsync(new RunRecord(result.RunId, result.Model, result.Status, result.Dataset, result.Version, result.Task?.ToString(), result.Metrics, result.Message, result.StartedAt, result.FinishedAt));
}
