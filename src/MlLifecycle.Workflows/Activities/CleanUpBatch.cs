using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.CleanUpBatch"/> activity.</summary>
public sealed class CleanUpBatch(ArtifactStore store)
{
    /// <summary>Deletes the job's working folder (its input chunks); returns how many blobs it held.</summary>
    public Task<int> RunAsync(BatchJob job) => store.DeleteFolderAsync(ArtifactStore.Artifacts, job.Folder);
}
