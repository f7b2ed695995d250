using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using MlLifecycle.Api;
using MlLifecycle.Workflows;

namespace MlLifecycle.Functions;

/// <summary>Batch scoring: the orchestration, the blob trigger on <c>scoring/</c> and the HTTP routes (activities: <see cref="ActivityFunctions"/>).</summary>
public sealed class BatchFunctions(BatchApi api, BatchStarter starter)
{
    [Function(ActivityNames.BatchScoringOrchestration)]
    public static Task<BatchResult> RunBatchScoring([OrchestrationTrigger] TaskOrchestrationContext context, BatchRequest request) =>
        new BatchScoringOrchestration().RunAsync(context, request);

    /// <summary>An upload to <c>scoring/{model}/{file}</c> (<c>.csv</c>, <c>.csv.gz</c>, <c>.parquet</c>) starts one batch job per blob version (Event Grid source on Flex Consumption).</summary>
    [Function(nameof(ScoringUploaded))]
    public async Task ScoringUploaded(
        [BlobTrigger("scoring/{model}/{file}", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient blob,
        string model,
        string file,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        var properties = await blob.GetPropertiesAsync(cancellationToken: ct);
        await starter.StartForBlobAsync(client, $"{model}/{file}", properties.Value.ETag.ToString(), properties.Value.Metadata, ct);
    }

    [Function("StartBatch")]
    public async Task<IActionResult> StartBatch(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "models/{model}/batch")] HttpRequest request,
        string model,
        [DurableClient] DurableTaskClient client) =>
        new HttpResultAction(await api.StartAsync(model, request, client));

    [Function("GetBatch")]
    public async Task<IActionResult> GetBatch(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "batch/{jobId}")] HttpRequest request,
        string jobId,
        [DurableClient] DurableTaskClient client) =>
        new HttpResultAction(await api.GetAsync(jobId, client, request.HttpContext.RequestAborted));
}
