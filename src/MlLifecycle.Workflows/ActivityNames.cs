namespace MlLifecycle.Workflows;

/// <summary>Names under which both hosts register the orchestrations and activities.</summary>
public static class ActivityNames
{
    public const string TrainingOrchestration = nameof(TrainingOrchestration);
    public const string TuningOrchestration = nameof(TuningOrchestration);
    public const string RunTrial = nameof(RunTrial);
    public const string ValidateDataset = nameof(ValidateDataset);
    public const string QuarantineDataset = nameof(QuarantineDataset);
    public const string SplitDataset = nameof(SplitDataset);
    public const string EvaluateFold = nameof(EvaluateFold);
    public const string SelectEnsemble = nameof(SelectEnsemble);
    public const string TrainModel = nameof(TrainModel);
    public const string EvaluateModel = nameof(EvaluateModel);
    public const string RefitModel = nameof(RefitModel);
    public const string RegisterModel = nameof(RegisterModel);
    public const string PromoteModel = nameof(PromoteModel);
    public const string RecordRun = nameof(RecordRun);
    public const string CompareReproduction = nameof(CompareReproduction);
    public const string BatchScoringOrchestration = nameof(BatchScoringOrchestration);
    public const string PlanBatch = nameof(PlanBatch);
    public const string ScoreBatchChunk = nameof(ScoreBatchChunk);
    public const string WriteBatchOutput = nameof(WriteBatchOutput);
    public const string CleanUpBatch = nameof(CleanUpBatch);
    public const string MonitorOrchestration = nameof(MonitorOrchestration);
    public const string CheckDrift = nameof(CheckDrift);
    public const string PrepareRetrain = nameof(PrepareRetrain);
    public const string StartCanary = nameof(StartCanary);
    public const string JudgeCanary = nameof(JudgeCanary);
    public const string FinishCanary = nameof(FinishCanary);
}
