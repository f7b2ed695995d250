using System.Text.Json.Serialization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Tuning;

namespace MlLifecycle.Workflows;

/// <summary>Input of the training orchestration.</summary>
/// <param name="Model">Model name (see <see cref="Core.ModelName"/>).</param>
/// <param name="Dataset">Blob name inside the <c>datasets</c> container, e.g. <c>credit/credit-g.csv</c>.</param>
/// <param name="Spec">Problem spec; null = <c>datasets/{model}/lifecycle.json</c> if present, else defaults (label from
/// the blob's <c>label</c> metadata, else the last column).</param>
/// <param name="ETag">The dataset blob version the run is for; a replaced blob is not read or quarantined by this run.</param>
/// <param name="Promote">False: a version that passes the gate stays a candidate (the closed loop canaries it first).</param>
/// <param name="Reproduce">A version to re-run instead of registering a new one: the run trains as that version's did and compares (<see cref="ReproductionOutcome"/>).</param>
public sealed record TrainingRequest(string Model, string Dataset, ProblemSpec? Spec = null, string? ETag = null, bool Promote = true, int? Reproduce = null);

/// <summary>
/// What every stage of one run works on: the run id and the files of its working folder. The file names are derived
/// from the id, so they are not serialized: every activity input carries a run context.
/// </summary>
public sealed record RunContext(string RunId, string Model, string Dataset, ProblemSpec? Spec, string? ETag = null)
{
    /// <summary>Working folder of the run inside the <c>artifacts</c> container.</summary>
    [JsonIgnore]
    public string Folder => $"{Model}/runs/{RunId}";

    /// <summary>The cleaned table the run trains on (<see cref="Core.Data.TableFile"/>).</summary>
    [JsonIgnore]
    public string DataBlob => $"{Folder}/table.bin";

    [JsonIgnore]
    public string SchemaBlob => $"{Folder}/schema.json";

    /// <summary>The resolved spec (request, <c>lifecycle.json</c> or defaults, with label and seed filled in).</summary>
    [JsonIgnore]
    public string SpecBlob => $"{Folder}/spec.json";

    [JsonIgnore]
    public string QualityBlob => $"{Folder}/quality.json";

    [JsonIgnore]
    public string SplitBlob => $"{Folder}/split.json";

    [JsonIgnore]
    public string ModelBlob => $"{Folder}/model.zip";

    [JsonIgnore]
    public string TrainingBlob => $"{Folder}/training.json";

    /// <summary>The model served when the spec refits: the evaluated configuration trained on every row.</summary>
    [JsonIgnore]
    public string RefitModelBlob => $"{Folder}/refit/model.zip";

    [JsonIgnore]
    public string RefitTrainingBlob => $"{Folder}/refit/training.json";

    [JsonIgnore]
    public string EvaluationBlob => $"{Folder}/evaluation.json";

    /// <summary>A candidate's out-of-fold predictions on one fold (<see cref="OutOfFoldPredictions"/>), what ensemble selection reads.</summary>
    public string OutOfFoldBlob(string candidate, int fold) => $"{Folder}/oof/{candidate}/{fold}.bin";

    /// <summary>What drift checks compare new data with (<see cref="Core.Monitoring.ModelBaseline"/>).</summary>
    [JsonIgnore]
    public string BaselineBlob => $"{Folder}/baseline.json";
}

/// <summary>Rows read, exact duplicates removed, rows dropped for missing values, rows used.</summary>
public sealed record DataSummary(int RowsRead, int Duplicates, int DroppedForMissing, int RowsUsed, int Warnings);

public sealed record ValidationOutcome(
    bool Accepted,
    MlTask? Task,
    string? Label,
    string? PrimaryMetric,
    int Seed,
    string? DataSha256,
    DataSummary? Data,
    IReadOnlyList<Anomaly> Anomalies);

public sealed record QuarantineInput(RunContext Run, IReadOnlyList<Anomaly> Anomalies);

/// <summary>Sizes of the holdout split, the cross-validation plan, and the tuning and approval settings of the spec.</summary>
/// <param name="ApprovalHours">How long promotion waits for an approval; null when the spec does not ask for one.</param>
/// <param name="Refit">Train the evaluated configuration again on every row and serve that (spec <c>split.refit</c>).</param>
/// <param name="Ensemble">Try ensemble selection over the candidates' out-of-fold predictions (spec <c>validation.ensemble</c>).</param>
/// <param name="SampleRows">Rows of the stratified sample model selection and tuning read; null when they read every train and validation row.</param>
/// <param name="OneTrainingAtATime">The memory budget holds the table and one training on every row, not two: the model
/// served trains after the evaluated one instead of beside it.</param>
public sealed record SplitOutcome(int Train, int Validation, int Test, CvMethod Method, int Folds, IReadOnlyList<string> Trainers, int MaxConcurrency, TuningSpec Tuning, int Seed, double? ApprovalHours = null, bool Refit = false, bool Ensemble = false, int? SampleRows = null, bool OneTrainingAtATime = false);

/// <summary>The event a waiting run takes: approve or reject the promotion of the version it registered.</summary>
public sealed record ApprovalDecision(bool Approved, string By, string? Reason = null);

/// <summary>One trainer on one fold: a fan-out activity's input.</summary>
public sealed record FoldInput(RunContext Run, string Trainer, int Fold);

/// <summary>Refit of the selected trainer (with tuned options, if any) on train + validation; of each member when ensemble selection chose an ensemble.</summary>
public sealed record TrainInput(RunContext Run, string Trainer, Dictionary<string, double>? Hyperparameters = null, IReadOnlyList<EnsembleCandidate>? Members = null);

/// <summary>
/// A candidate of ensemble selection: a trainer with default options (cross-validated on every fold) or a tuning trial
/// (scored on the validation split, <paramref name="Folds"/> 1), whose out-of-fold predictions are the run's
/// <see cref="RunContext.OutOfFoldBlob"/> of its name and each fold; <paramref name="Weight"/> once chosen.
/// </summary>
public sealed record EnsembleCandidate(string Name, string Trainer, Dictionary<string, double>? Options, int Folds, double Weight = 0);

public sealed record EnsembleInput(RunContext Run, string Metric, IReadOnlyList<EnsembleCandidate> Candidates);

/// <summary>
/// What ensemble selection found: the members with their weights, the cross-validated score of the ensemble against
/// that of the best single candidate (both nested, in the metric's units), the rows it was selected on, and whether the
/// ensemble is served.
/// </summary>
public sealed record EnsembleOutcome(bool Chosen, IReadOnlyList<EnsembleCandidate> Members, string Metric, double? Score, double? SingleScore, string? BestSingle, int Rows, string Reason);

/// <summary>What tuning works on: the run, the selected trainer, the metric, the seed and the budget.</summary>
public sealed record TuningInput(RunContext Run, string Trainer, string Metric, int Seed, TuningSpec Tuning);

/// <summary>One tuning trial: a fan-out activity's input.</summary>
public sealed record TrialInput(RunContext Run, string Trainer, string Metric, Trial Trial, Dictionary<string, double> Options);

/// <summary>A finished trial: its configuration, higher-is-better score on the validation split, metrics and time.</summary>
public sealed record TrialRecord(Trial Trial, double Score, Dictionary<string, double> Metrics, double Seconds, string? Error = null);

/// <summary>What tuning found: the best configuration and why it stopped.</summary>
public sealed record TuningResult(TuningStrategy Strategy, int Trials, double TotalResource, Dictionary<string, double>? BestOptions, double? BestScore, string StopReason)
{
    /// <summary>The best trials that trained (at most <see cref="TuningOrchestration.Leaders"/>), candidates of ensemble selection.</summary>
    public IReadOnlyList<TunedTrial> Leaders { get; init; } = [];
}

/// <summary>A finished trial's id, the options it trained with (its own resource) and its score on the validation split.</summary>
public sealed record TunedTrial(int Id, Dictionary<string, double> Options, double Score);

public sealed record TrainOutcome(string Trainer, string ModelSha256, double Seconds, int Rows, int OutlierRowsDropped, FeatureSummary? Features = null);

/// <summary>The final model's inputs: how many the chain offered, how many selection kept, which it dropped and why, and synthetic rows added.</summary>
public sealed record FeatureSummary(int Inputs, int Kept, IReadOnlyList<string> Dropped, int SyntheticRows);

/// <summary>Cross-validation result: mean ± std per trainer and the selected one, and the rows of the sample it read (null: every train and validation row).</summary>
public sealed record SelectionSummary(CvMethod Method, int Folds, string Winner, IReadOnlyList<TrainerSummary> Trainers, int? SampleRows = null);

/// <summary>Test metrics, criteria, the champion gate and the largest gap of each slice.</summary>
public sealed record EvaluationOutcome(
    Dictionary<string, double> Test,
    IReadOnlyList<CriterionResult> Criteria,
    GateDecision Gate,
    IReadOnlyDictionary<string, double> SliceGaps,
    IReadOnlyList<FeatureImportance>? Importance = null);

/// <summary>
/// What RegisterModel records that the run's folder does not hold. The quality report (with every anomaly) is copied
/// and the training details (rows, outliers, transforms) are read from the folder, so they do not travel here.
/// </summary>
/// <param name="Run">The run whose folder is registered.</param>
/// <param name="Task">The task inferred or given for the label.</param>
/// <param name="Label">The label column.</param>
/// <param name="PrimaryMetric">The metric that selected the trainer and gates promotion.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="DataSha256">SHA-256 of the uploaded dataset blob.</param>
/// <param name="Data">Rows read, removed and used.</param>
/// <param name="Trainer">The trainer refit on train + validation.</param>
/// <param name="TrainingSeconds">How long the refit took.</param>
/// <param name="Evaluation">The test outcome.</param>
/// <param name="Selection">The cross-validation summary (held by no blob: the orchestration computes it).</param>
/// <param name="Tuning">What tuning found; null = not tuned.</param>
/// <param name="Refit">The same configuration trained on every row, which is served; null = the evaluated model is served.</param>
public sealed record RegisterInput(
    RunContext Run,
    MlTask Task,
    string Label,
    string PrimaryMetric,
    int Seed,
    string DataSha256,
    DataSummary Data,
    string Trainer,
    double TrainingSeconds,
    EvaluationOutcome Evaluation,
    SelectionSummary Selection,
    TuningResult? Tuning = null,
    TrainOutcome? Refit = null,
    EnsembleOutcome? Ensemble = null);

/// <summary>Promotion request; <paramref name="ExpectedChampion"/> is the champion the gate compared against (null = none).</summary>
public sealed record PromoteInput(string Model, int Version, bool GatePassed, int? ExpectedChampion = null);

/// <summary>Progress shown while a run is going (the orchestration's custom status).</summary>
/// <param name="Done">Work items of this stage finished so far (cross-validation folds, tuning trials); null when the stage has none.</param>
/// <param name="Total">Work items of this stage in all.</param>
public sealed record RunProgress(string Stage, int Step, int Steps, int? Done = null, int? Total = null);

public static class RunStatus
{
    public const string Succeeded = "Succeeded";
    public const string Rejected = "Rejected";
    public const string Failed = "Failed";
}

/// <summary>Output of the training orchestration.</summary>
public sealed record RunResult(
    string RunId,
    string Model,
    string Status,
    string Dataset,
    MlTask? Task = null,
    int? Version = null,
    bool Champion = false,
    string? PrimaryMetric = null,
    Dictionary<string, double>? Metrics = null,
    IReadOnlyList<CriterionResult>? Criteria = null,
    GateDecision? Gate = null,
    SelectionSummary? Selection = null,
    TuningResult? Tuning = null,
    IReadOnlyList<FeatureImportance>? Importance = null,
    DataSummary? Data = null,
    FeatureSummary? Features = null,
    string? Message = null,
    IReadOnlyList<Anomaly>? Anomalies = null,
    DateTimeOffset StartedAt = default,
    DateTimeOffset FinishedAt = default)
{
    /// <summary>Rows the served model was trained on when it is the refit on every row; null when it is the evaluated model.</summary>
    public int? RefitRows { get; init; }

    /// <summary>A reproduction run's comparison with the version it re-ran; null for other runs.</summary>
    public ReproductionOutcome? Reproduction { get; init; }

    /// <summary>What ensemble selection found; null when it did not run.</summary>
    public EnsembleOutcome? Ensemble { get; init; }
}

/// <summary>What <see cref="ActivityNames.CompareReproduction"/> compares: the run's models and test metrics against <paramref name="Version"/>'s.</summary>
public sealed record ReproduceInput(RunContext Run, int Version, string DataSha256, Dictionary<string, double> Test, bool Refit);

/// <summary>
/// A re-run of a version against the version: whether the data, the served and evaluated model bytes (SHA-256) and
/// every test metric are exactly the same, each difference in words, and the code each was built with.
/// </summary>
public sealed record ReproductionOutcome(int Version, bool Reproduced, IReadOnlyList<string> Differences, string ModelSha256, string CodeVersion, string CodeVersionNow);
