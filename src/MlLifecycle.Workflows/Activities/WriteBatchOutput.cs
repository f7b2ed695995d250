using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.WriteBatchOutput"/> activity.</summary>
public sealed class WriteBatchOutput(ArtifactStore store)
{
    /// <summary>Commits the scored chunks, in input order, as <c>predictions/{model}/{jobId}.csv</c>; returns that name.</summary>
    public async Task<string> RunAsync(BatchOutputInput input)
    {
        await store.CommitPartsAsync(ArtifactStore.Predictions, input.Job.OutputBlob, input.Chunks);
        return input.Job.Output;
    }
}
