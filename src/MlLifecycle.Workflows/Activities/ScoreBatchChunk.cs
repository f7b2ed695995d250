using System.Diagnostics;
using System.IO.Compression;
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
        var parquet = job.Format == TableFormat.Parquet;
        using var lines = new MemoryStream();
        using (var compressed = job.Format == TableFormat.CsvGzip ? new GZipStream(lines, CompressionLevel.Fastest, leaveOpen: true) : null)
        using (var writer = new StreamWriter(compressed ?? (Stream)lines, new UTF8Encoding(false), leaveOpen: true))
        {
            // Every chunk of a .csv.gz is a gzip member of its own: members one after another make one valid gzip file.
            PredictionCsv.Write(writer, table, predictions, served.Schema, header: chunk.Index == 0 || parquet);
        }

        lines.Position = 0;
        if (parquet)
        {
            // A Parquet file cannot be joined from parts: the chunk waits in the job's folder for WriteBatchOutput.
            await store.WriteAsync(ArtifactStore.Artifacts, job.ScoredBlob(chunk.Index), BinaryData.FromStream(lines));
        }
        else
        {
            await store.StagePartAsync(ArtifactStore.Predictions, job.OutputBlob, chunk.Index, lines);
        }

        return new BatchChunkResult(chunk.Index, predictions.Count, stopwatch.Elapsed.TotalSeconds);
    }
}
