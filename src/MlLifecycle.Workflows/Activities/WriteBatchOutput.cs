using MlLifecycle.Core.Data;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.WriteBatchOutput"/> activity.</summary>
public sealed class WriteBatchOutput(ArtifactStore store)
{
    /// <summary>
    /// Makes the job's output, in input order, in the input's format: for CSV and CSV.gz by committing the parts the
    /// chunks staged; for Parquet by writing the scored chunks as one file, a row group each (the input's numeric
    /// columns, <c>Score</c> and the probabilities as doubles, the rest as strings). Returns the output's name.
    /// </summary>
    public async Task<string> RunAsync(BatchOutputInput input)
    {
        var job = input.Job;
        if (job.Format != TableFormat.Parquet)
        {
            await store.CommitPartsAsync(ArtifactStore.Predictions, job.OutputBlob, input.Chunks);
            return job.Output;
        }

        var (container, blob) = PlanBatch.Split(job.Request.Input);
        IReadOnlySet<string> numeric;
        await using (var source = await store.TryOpenReadAsync(container, blob, job.Request.ETag)
            ?? throw new InvalidOperationException($"Input blob '{job.Request.Input}' was replaced or deleted while the job ran."))
        {
            numeric = await ParquetOutput.NumericColumnsAsync(source);
        }

        async IAsyncEnumerable<TabularData> Chunks()
        {
            for (var index = 0; index < input.Chunks; index++)
            {
                yield return CsvLoader.Read((await store.ReadAsync(ArtifactStore.Artifacts, job.ScoredBlob(index))).ToStream());
            }
        }

        // Parquet is written to a seekable file (its footer points back into it), then uploaded.
        await using var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        await ParquetOutput.WriteAsync(Chunks(), file, c => numeric.Contains(c) || c == "Score" || c.StartsWith("Probability_", StringComparison.Ordinal));
        file.Position = 0;
        await store.Blob(ArtifactStore.Predictions, job.OutputBlob).UploadAsync(file, overwrite: true);
        return job.Output;
    }
}
