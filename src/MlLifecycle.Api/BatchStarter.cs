using System.Globalization;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core.Data;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>Schedules batch scoring jobs under deterministic ids: a trigger seen twice finds the job it already started.</summary>
public sealed class BatchStarter(ILogger<BatchStarter> logger)
{
    /// <summary>Blob metadata of an upload to <c>scoring/</c> naming the model version to score with.</summary>
    public const string VersionMetadata = "version";

    /// <summary>Blob metadata of an upload to <c>scoring/</c> naming the alias to score with (default <c>champion</c>).</summary>
    public const string AliasMetadata = "alias";

    /// <summary>
    /// Starts the job of an upload to <c>scoring/{model}/{file}</c> (<c>.csv</c>, <c>.csv.gz</c> or <c>.parquet</c>; blob trigger in both hosts), one per blob
    /// version. The blob's <c>version</c> or <c>alias</c> metadata chooses the model version (default: the champion when
    /// the job starts). Null when the blob is not a scoring upload.
    /// </summary>
    public async Task<string?> StartForBlobAsync(DurableTaskClient client, string blobName, string etag, IDictionary<string, string>? metadata, CancellationToken ct = default)
    {
        if (StartOnce.ModelOf(blobName, _ => true, logger) is not { } model)
        {
            return null;
        }

        if (TableReader.FormatOf(blobName) is null)
        {
            logger.LogWarning("Ignoring upload {Blob}: files to score are {Formats}", blobName, string.Join(", ", TableReader.Extensions));
            return null;
        }

        int? version = null;
        if (metadata?.TryGetValue(VersionMetadata, out var text) == true)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                logger.LogWarning("Ignoring upload {Blob}: its '{Metadata}' metadata '{Value}' is not a version number", blobName, VersionMetadata, text);
                return null;
            }

            version = number;
        }

        var alias = metadata?.TryGetValue(AliasMetadata, out var named) == true ? named : null;
        var request = new BatchRequest(model, $"{ArtifactStore.Scoring}/{blobName}", etag, version, version is null ? alias : null);
        return await StartAsync(client, RunIds.ForScoringBlob(blobName, etag), request, ct);
    }

    public async Task<string> StartAsync(DurableTaskClient client, string jobId, BatchRequest request, CancellationToken ct = default)
    {
        if (await StartOnce.StartAsync(client, ActivityNames.BatchScoringOrchestration, jobId, request, ct))
        {
            logger.LogInformation("Started batch job {JobId} for {Model} on {Input}", jobId, request.Model, request.Input);
        }

        return jobId;
    }
}
