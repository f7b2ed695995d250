using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.RecordRun"/> activity.</summary>
public sealed class RecordRun(ModelRegistry registry)
{
    public Task RunAsync(RunRecord run) => registry.RecordRunAsync(run);
}
