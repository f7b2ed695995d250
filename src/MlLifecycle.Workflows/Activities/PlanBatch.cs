using System.IO.Compression;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.PlanBatch"/> activity.</summary>
public sealed class PlanBatch(ArtifactStore store, ModelRegistry registry, ModelCache models, IOptions<LifecycleOptions> options, ILogger<PlanBatch> logger)
{
    /// <summary>
    /// Pins the model version (the request's, else the one its alias points at now), then reads the input (CSV, CSV.gz or
    /// Parquet) once, a chunk at a time: each chunk is checked as a prediction request is (every column the model reads present, numbers where
    /// it expects numbers), compared with the model's schema, and stored as one CSV in the job's folder. An input that
    /// cannot be scored gives a plan with an <see cref="BatchPlan.Error"/>; only storage trouble throws.
    /// </summary>
    public async Task<BatchPlan> RunAsync(BatchJob job)
    {
        var request = job.Request;
        if (await registry.FindVersionAsync(job.Model, request.Alias, request.Version) is not { } version)
        {
            return Failed(await registry.DescribeMissingAsync(job.Model, request.Alias, request.Version));
        }

        ServedModel served;
        try
        {
            served = await models.LoadAsync(version);
        }
        catch (ModelIntegrityException ex)
        {
            return Failed(ex.Message, version.Version);
        }

        var (container, blob) = Split(request.Input);
        await using var input = await store.TryOpenReadAsync(container, blob, request.ETag);
        if (input is null)
        {
            return Failed($"Input blob '{request.Input}' does not exist{(request.ETag is null ? "" : " or was replaced after the job started")}.", version.Version);
        }

        List<int> chunks = [];
        var check = new SchemaCheck(served.Schema, requireLabel: false);
        try
        {
            await foreach (var chunk in ChunksAsync(input, job.Format, options.Value.BatchChunkRows))
            {
                PredictionInput.FromTable(chunk, served.Schema, served.Required, firstRow: chunks.Sum());
                check.Add(chunk);
                using var csv = new MemoryStream();
                CsvLoader.Write(chunk, csv);
                await store.WriteAsync(ArtifactStore.Artifacts, job.ChunkBlob(chunks.Count), BinaryData.FromBytes(csv.ToArray()));
                chunks.Add(chunk.Rows.Count);
            }
        }
        catch (InvalidDataException ex)
        {
            return Failed($"The input is named .gz but is not valid gzip: {ex.Message}", version.Version);
        }
        catch (Exception ex) when (ex is DataValidationException or InvalidInputException)
        {
            logger.LogInformation("Batch job {JobId}: input {Input} cannot be scored: {Message}", job.JobId, request.Input, ex.Message);
            return Failed(ex.Message, version.Version);
        }

        if (chunks.Count == 0)
        {
            return Failed("The input has a header but no data rows.", version.Version);
        }

        var rows = chunks.Sum();
        logger.LogInformation("Batch job {JobId}: {Rows} rows of {Input} in {Chunks} chunks for {Model} v{Version}", job.JobId, rows, request.Input, chunks.Count, job.Model, version.Version);
        return new BatchPlan(version.Version, rows, chunks, options.Value.BatchMaxConcurrency, check.Anomalies());
    }

    /// <summary>
    /// The input a chunk of rows at a time: CSV (gzip-compressed or not) as it streams; Parquet read column by column into
    /// a table first (its values as text, as a CSV of them would hold them).
    /// </summary>
    private static async IAsyncEnumerable<TabularData> ChunksAsync(Stream input, TableFormat format, int chunkRows)
    {
        if (format == TableFormat.Parquet)
        {
            var table = await TableReader.ReadAsync(input, format);
            for (var start = 0; start < table.RowCount; start += chunkRows)
            {
                yield return table.ToRows(start, Math.Min(chunkRows, table.RowCount - start));
            }

            yield break;
        }

        using var text = format == TableFormat.CsvGzip ? new GZipStream(input, CompressionMode.Decompress, leaveOpen: true) : input;
        using var reader = CsvLoader.Open(text);
        while (reader.Read(chunkRows) is { } chunk)
        {
            yield return chunk;
        }
    }

    /// <summary><c>{container}/{blob}</c> → its two parts.</summary>
    public static (string Container, string Blob) Split(string input)
    {
        var slash = input.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? (input[..slash], input[(slash + 1)..]) : throw new ArgumentException($"'{input}' is not of the form {{container}}/{{blob}}.", nameof(input));
    }

    private static BatchPlan Failed(string error, int? version = null) => new(version, 0, [], 1, [], error);
}
