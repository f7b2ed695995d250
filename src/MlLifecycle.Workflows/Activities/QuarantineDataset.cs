using MlLifecycle.Core.Data;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.QuarantineDataset"/> activity.</summary>
public sealed class QuarantineDataset(ArtifactStore store, TimeProvider time)
{
    /// <summary>
    /// Copies a rejected upload to <c>quarantine/</c> with its reasons when the file is at fault. A rejection caused by
    /// the request (see <see cref="AnomalyCodes.IsRequestProblem"/>) quarantines nothing; the upload stays in
    /// <c>datasets/</c> either way.
    /// </summary>
    public async Task RunAsync(QuarantineInput input)
    {
        if (input.Anomalies.Any(a => a.Severity == Severity.Error && !AnomalyCodes.IsRequestProblem(a.Code)))
        {
            await store.QuarantineAsync(input.Run.Dataset, input.Run.ETag, new { input.Run.RunId, input.Run.Model, dataset = $"{ArtifactStore.Datasets}/{input.Run.Dataset}", rejectedAt = time.GetUtcNow(), input.Anomalies });
        }
    }
}
