using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>Schedules training runs under deterministic ids: a trigger seen twice finds the run it already started.</summary>
public sealed class TrainingStarter(ILogger<TrainingStarter> logger)
{
    /// <summary>Starts the run of a blob upload (blob trigger in both hosts); null when the blob is not a dataset.</summary>
    public async Task<string?> StartForBlobAsync(DurableTaskClient client, string blobName, string etag, CancellationToken ct = default)
    {
        var parts = blobName.Split('/');
        if (parts.Length != 2 || !parts[1].EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!ModelName.IsValid(parts[0]))
        {
            logger.LogWarning("Ignoring upload {Blob}: folder '{Model}' is not a valid model name ({Rule})", blobName, parts[0], ModelName.Describe);
            return null;
        }

        return await StartAsync(client, RunIds.ForBlob(blobName, etag), new TrainingRequest(parts[0], blobName, ETag: etag), ct);
    }

    public async Task<string> StartAsync(DurableTaskClient client, string runId, TrainingRequest request, CancellationToken ct = default)
    {
        if (await client.GetInstanceAsync(runId, ct) is not null)
        {
            return runId;
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(ActivityNames.TrainingOrchestration, request, new StartOrchestrationOptions(runId), ct);
            logger.LogInformation("Started run {RunId} for {Model} on {Dataset}", runId, request.Model, request.Dataset);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Another host may have scheduled the same run id between our check and our start.
            if (await client.GetInstanceAsync(runId, ct) is null)
            {
                throw;
            }
        }

        return runId;
    }
}
