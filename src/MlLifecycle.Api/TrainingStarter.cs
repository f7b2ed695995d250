using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>Schedules training runs under deterministic ids: a trigger seen twice finds the run it already started.</summary>
public sealed class TrainingStarter(ILogger<TrainingStarter> logger)
{
    /// <summary>Starts the run of a blob upload (blob trigger in both hosts); null when the blob is not a dataset.</summary>
    public async Task<string?> StartForBlobAsync(DurableTaskClient client, string blobName, string etag, CancellationToken ct = default) =>
        StartOnce.ModelOf(blobName, logger) is { } model
            ? await StartAsync(client, RunIds.ForBlob(blobName, etag), new TrainingRequest(model, blobName, ETag: etag), ct)
            : null;

    public async Task<string> StartAsync(DurableTaskClient client, string runId, TrainingRequest request, CancellationToken ct = default)
    {
        if (await StartOnce.StartAsync(client, ActivityNames.TrainingOrchestration, runId, request, ct))
        {
            logger.LogInformation("Started run {RunId} for {Model} on {Dataset}", runId, request.Model, request.Dataset);
        }

        return runId;
    }
}
