using System.Diagnostics;
using System.Text;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.ScoreBatchChunk"/> activity.</summary>
public sealed class ScoreBatchChunk(ArtifactStore store, ModelRegistry registry, ModelCache models)
{
    /// <summary>
    /// Scores one chunk with the pinned version (loaded once per process) and stages its lines — input columns and
    /// predictions, after the header for the first chunk — as part <see cref="BatchChunk.Index"/> of the job's output,
    /// which stays invisible until <see cref="WriteBatchOutput"/> commits the parts in order.
    /// </summary>
    public async Task<BatchChunkResult> RunAsync(BatchChunk chunk)
    {
        var stopwatch = Stopwatch.StartNew();
        var job = chunk.Job;
        var version = await registry.GetVersionAsync(job.Model, chunk.Version)
            ?? throw new InvalidOperationException($"Model '{job.Model}' has no version {chunk.Version} any more.");
        var served = await models.LoadAsync(version);
        var table = CsvLoader.Read((await store.ReadAsync(ArtifactStore.Artifacts, job.ChunkBlob(chunk.Index))).ToStream());
        if (table.Rows.Count != chunk.Rows)
        {
            throw new InvalidDataException($"Chunk {chunk.Index} of job {job.JobId} has {table.Rows.Count} rows; {chunk.Rows} were written.");
        }

        var predictions = served.Predictor.Predict(PredictionInput.FromTable(table, served.Schema, served.Required, chunk.FirstRow));
        using var lines = new MemoryStream();
        using (var writer = new StreamWriter(lines, new UTF8Encoding(false), leaveOpen: true))
        {
            PredictionCsv.Write(writer, table, predictions, served.Schema, header: chunk.Index == 0);
        }

        lines.Position = 0;
        await store.StagePartAsync(ArtifactStore.Predictions, job.OutputBlob, chunk.Index, lines);
        return new BatchChunkResult(chunk.Index, predictions.Count, stopwatch.Elapsed.TotalSeconds);
    }
}
