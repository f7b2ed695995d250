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
    /// Pins the model version (the request's, else the one its alias points at now), then reads the input once, a chunk
    /// at a time: each chunk is checked as a prediction request is (every column the model reads present, numbers where
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

        var chunkRows = options.Value.BatchChunkRows;
        List<int> chunks = [];
        var check = new SchemaCheck(served.Schema, requireLabel: false);
        try
        {
            using var reader = CsvLoader.Open(input);
            while (reader.Read(chunkRows) is { } chunk)
            {
                PredictionInput.FromTable(chunk, served.Schema, served.Required, firstRow: reader.RowsRead - chunk.Rows.Count);
                check.Add(chunk);
                using var csv = new MemoryStream();
                CsvLoader.Write(chunk, csv);
                await store.WriteAsync(ArtifactStore.Artifacts, job.ChunkBlob(chunks.Count), BinaryData.FromBytes(csv.ToArray()));
                chunks.Add(chunk.Rows.Count);
            }
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

    /// <summary><c>{container}/{blob}</c> → its two parts.</summary>
    public static (string Container, string Blob) Split(string input)
    {
        var slash = input.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? (input[..slash], input[(slash + 1)..]) : throw new ArgumentException($"'{input}' is not of the form {{container}}/{{blob}}.", nameof(input));
    }

    private static BatchPlan Failed(string error, int? version = null) => new(version, 0, [], 1, [], error);
}
