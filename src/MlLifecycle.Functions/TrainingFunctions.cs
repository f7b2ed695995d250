using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using MlLifecycle.Api;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Workflows;

namespace MlLifecycle.Functions;

/// <summary>The training orchestration, its activities and the blob trigger: adapters over MlLifecycle.Workflows.</summary>
public sealed class TrainingFunctions(LifecycleStages stages, TrainingStarter starter)
{
    [Function(ActivityNames.TrainingOrchestration)]
    public static Task<RunResult> RunTraining([OrchestrationTrigger] TaskOrchestrationContext context, TrainingRequest request) =>
        new TrainingOrchestration().RunAsync(context, request);

    [Function(ActivityNames.TuningOrchestration)]
    public static Task<TuningResult?> RunTuning([OrchestrationTrigger] TaskOrchestrationContext context, TuningState state) =>
        new TuningOrchestration().RunAsync(context, state);

    [Function(ActivityNames.RunTrial)]
    public Task<TrialRecord> RunTrial([ActivityTrigger] TrialInput input) => stages.RunTrialAsync(input);

    [Function(ActivityNames.ValidateDataset)]
    public Task<ValidationOutcome> ValidateDataset([ActivityTrigger] RunContext run) => stages.ValidateAsync(run);

    [Function(ActivityNames.QuarantineDataset)]
    public async Task<bool> QuarantineDataset([ActivityTrigger] QuarantineInput input)
    {
        await stages.QuarantineAsync(input);
        return true;
    }

    [Function(ActivityNames.SplitDataset)]
    public Task<SplitOutcome> SplitDataset([ActivityTrigger] RunContext run) => stages.SplitAsync(run);

    [Function(ActivityNames.EvaluateFold)]
    public Task<FoldResult> EvaluateFold([ActivityTrigger] FoldInput input) => stages.EvaluateFoldAsync(input);

    [Function(ActivityNames.TrainModel)]
    public Task<TrainOutcome> TrainModel([ActivityTrigger] TrainInput input) => stages.TrainAsync(input);

    [Function(ActivityNames.EvaluateModel)]
    public Task<EvaluationOutcome> EvaluateModel([ActivityTrigger] RunContext run) => stages.EvaluateAsync(run);

    [Function(ActivityNames.RegisterModel)]
    public Task<int> RegisterModel([ActivityTrigger] RegisterInput input) => stages.RegisterAsync(input);

    [Function(ActivityNames.PromoteModel)]
    public Task<bool> PromoteModel([ActivityTrigger] PromoteInput input) => stages.PromoteAsync(input);

    [Function(ActivityNames.RecordRun)]
    public async Task<bool> RecordRun([ActivityTrigger] RunResult result)
    {
        await stages.RecordRunAsync(result);
        return true;
    }

    /// <summary>An upload to <c>datasets/{model}/{file}.csv</c> starts one run per blob version (Event Grid source on Flex Consumption).</summary>
    [Function(nameof(DatasetUploaded))]
    public async Task DatasetUploaded(
        [BlobTrigger("datasets/{model}/{file}.csv", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient blob,
        string model,
        string file,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        var properties = await blob.GetPropertiesAsync(cancellationToken: ct);
        await starter.StartForBlobAsync(client, $"{model}/{file}.csv", properties.Value.ETag.ToString(), ct);
    }
}
