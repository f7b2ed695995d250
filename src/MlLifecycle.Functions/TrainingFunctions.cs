using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using MlLifecycle.Api;
using MlLifecycle.Workflows;

namespace MlLifecycle.Functions;

/// <summary>The training and tuning orchestrations and the blob trigger: adapters over MlLifecycle.Workflows (activities: <see cref="ActivityFunctions"/>).</summary>
public sealed class TrainingFunctions(TrainingStarter starter)
{
    [Function(ActivityNames.TrainingOrchestration)]
    public static Task<RunResult> RunTraining([OrchestrationTrigger] TaskOrchestrationContext context, TrainingRequest request) =>
        new TrainingOrchestration().RunAsync(context, request);

    [Function(ActivityNames.TuningOrchestration)]
    public static Task<TuningResult?> RunTuning([OrchestrationTrigger] TaskOrchestrationContext context, TuningState state) =>
        new TuningOrchestration().RunAsync(context, state);

    /// <summary>
    /// An upload to <c>datasets/{model}/{file}</c> (<c>.csv</c>, <c>.csv.gz</c>, <c>.parquet</c>; any other file is
    /// rejected with a reason) starts one run per blob version (Event Grid source on Flex Consumption).
    /// </summary>
    [Function(nameof(DatasetUploaded))]
    public async Task DatasetUploaded(
        [BlobTrigger("datasets/{model}/{file}", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient blob,
        string model,
        string file,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        var properties = await blob.GetPropertiesAsync(cancellationToken: ct);
        await starter.StartForBlobAsync(client, $"{model}/{file}", properties.Value.ETag.ToString(), ct);
    }
}
