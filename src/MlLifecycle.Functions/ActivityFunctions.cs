using Microsoft.Azure.Functions.Worker;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using MlLifecycle.Workflows.Activities;

namespace MlLifecycle.Functions;

/// <summary>The lifecycle's activities as <c>[Function]</c>s: each forwards its input to one activity class of MlLifecycle.Workflows.</summary>
public sealed class ActivityFunctions(
    ValidateDataset validateDataset,
    QuarantineDataset quarantineDataset,
    SplitDataset splitDataset,
    EvaluateFold evaluateFold,
    RunTrial runTrial,
    SelectEnsemble selectEnsemble,
    TrainModel trainModel,
    EvaluateModel evaluateModel,
    RegisterModel registerModel,
    PromoteModel promoteModel,
    RecordRun recordRun,
    CompareReproduction compareReproduction,
    PlanBatch planBatch,
    ScoreBatchChunk scoreBatchChunk,
    WriteBatchOutput writeBatchOutput,
    CleanUpBatch cleanUpBatch,
    CheckDrift checkDrift,
    PrepareRetrain prepareRetrain,
    StartCanary startCanary,
    JudgeCanary judgeCanary,
    FinishCanary finishCanary)
{
    [Function(ActivityNames.PrepareRetrain)]
    public Task<RetrainPlan> PrepareRetrain([ActivityTrigger] RetrainInput input) => prepareRetrain.RunAsync(input);

    [Function(ActivityNames.StartCanary)]
    public Task<DateTimeOffset?> StartCanary([ActivityTrigger] CanaryInput input) => startCanary.RunAsync(input);

    [Function(ActivityNames.JudgeCanary)]
    public Task<CanaryJudgement> JudgeCanary([ActivityTrigger] JudgeInput input) => judgeCanary.RunAsync(input);

    [Function(ActivityNames.FinishCanary)]
    public Task<bool> FinishCanary([ActivityTrigger] FinishInput input) => finishCanary.RunAsync(input);

    [Function(ActivityNames.CheckDrift)]
    public Task<DriftSummary> CheckDrift([ActivityTrigger] DriftCheckRequest request) => checkDrift.RunAsync(request);

    [Function(ActivityNames.RunTrial)]
    public Task<TrialRecord> RunTrial([ActivityTrigger] TrialInput input) => runTrial.RunAsync(input);

    [Function(ActivityNames.ValidateDataset)]
    public Task<ValidationOutcome> ValidateDataset([ActivityTrigger] RunContext run) => validateDataset.RunAsync(run);

    [Function(ActivityNames.QuarantineDataset)]
    public async Task<bool> QuarantineDataset([ActivityTrigger] QuarantineInput input)
    {
        await quarantineDataset.RunAsync(input);
        return true;
    }

    [Function(ActivityNames.SplitDataset)]
    public Task<SplitOutcome> SplitDataset([ActivityTrigger] RunContext run) => splitDataset.RunAsync(run);

    [Function(ActivityNames.EvaluateFold)]
    public Task<FoldResult> EvaluateFold([ActivityTrigger] FoldInput input) => evaluateFold.RunAsync(input);

    [Function(ActivityNames.SelectEnsemble)]
    public Task<EnsembleOutcome> SelectEnsemble([ActivityTrigger] EnsembleInput input) => selectEnsemble.RunAsync(input);

    [Function(ActivityNames.TrainModel)]
    public Task<TrainOutcome> TrainModel([ActivityTrigger] TrainInput input) => trainModel.RunAsync(input);

    [Function(ActivityNames.RefitModel)]
    public Task<TrainOutcome> RefitModel([ActivityTrigger] TrainInput input) => trainModel.RefitAsync(input);

    [Function(ActivityNames.EvaluateModel)]
    public Task<EvaluationOutcome> EvaluateModel([ActivityTrigger] RunContext run) => evaluateModel.RunAsync(run);

    [Function(ActivityNames.RegisterModel)]
    public Task<int> RegisterModel([ActivityTrigger] RegisterInput input) => registerModel.RunAsync(input);

    [Function(ActivityNames.PromoteModel)]
    public Task<bool> PromoteModel([ActivityTrigger] PromoteInput input) => promoteModel.RunAsync(input);

    [Function(ActivityNames.CompareReproduction)]
    public Task<ReproductionOutcome> CompareReproduction([ActivityTrigger] ReproduceInput input) => compareReproduction.RunAsync(input);

    [Function(ActivityNames.RecordRun)]
    public async Task<bool> RecordRun([ActivityTrigger] RunRecord run)
    {
        await recordRun.RunAsync(run);
        return true;
    }

    [Function(ActivityNames.PlanBatch)]
    public Task<BatchPlan> PlanBatch([ActivityTrigger] BatchJob job) => planBatch.RunAsync(job);

    [Function(ActivityNames.ScoreBatchChunk)]
    public Task<BatchChunkResult> ScoreBatchChunk([ActivityTrigger] BatchChunk chunk) => scoreBatchChunk.RunAsync(chunk);

    [Function(ActivityNames.WriteBatchOutput)]
    public Task<string> WriteBatchOutput([ActivityTrigger] BatchOutputInput input) => writeBatchOutput.RunAsync(input);

    [Function(ActivityNames.CleanUpBatch)]
    public Task<int> CleanUpBatch([ActivityTrigger] BatchJob job) => cleanUpBatch.RunAsync(job);
}
