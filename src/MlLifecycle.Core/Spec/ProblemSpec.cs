using System.Text.Json.Serialization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Monitoring;

namespace MlLifecycle.Core.Spec;

/// <summary>
/// The problem spec (<c>lifecycle.json</c>): what to learn and how to prepare the data. Every field is optional;
/// defaults are inferred from the data. JSON Schema: <c>schemas/lifecycle.schema.json</c>.
/// </summary>
public sealed record ProblemSpec
{
    /// <summary>Editors' pointer to the JSON Schema; ignored.</summary>
    [JsonPropertyName("$schema")]
    public string? SchemaUri { get; init; }

    /// <summary>Label column (default: the last column).</summary>
    public string? Label { get; init; }

    /// <summary>Learning task (default: inferred from the label).</summary>
    public MlTask? Task { get; init; }

    /// <summary>Positive class of a binary task (default: 1/true/yes/positive, else the minority class).</summary>
    public string? PositiveClass { get; init; }

    /// <summary>Metric that ranks models (default: chosen from <see cref="Costs"/> and the class balance).</summary>
    public string? PrimaryMetric { get; init; }

    /// <summary>Relative costs of errors (binary), from which the primary metric is chosen.</summary>
    public CostSpec? Costs { get; init; }

    /// <summary>Thresholds the model must reach on the test split, e.g. <c>{"f1": 0.7}</c>.</summary>
    public Dictionary<string, double>? SuccessCriteria { get; init; }

    /// <summary>Seed of the split and the trainers (default 42).</summary>
    public int? Seed { get; init; }

    public SplitSpec? Split { get; init; }

    /// <summary>Column kinds that override inference, by column name (<c>ignore</c> drops a column).</summary>
    public Dictionary<string, ColumnRole>? Columns { get; init; }

    public CleaningSpec? Cleaning { get; init; }

    /// <summary>Declared features computed from numeric columns inside the model (so serving computes them too).</summary>
    public FeaturesSpec? Features { get; init; }

    /// <summary>Oversampling of minority classes on the training rows only (off by default).</summary>
    public AugmentationSpec? Augmentation { get; init; }

    /// <summary>Model selection by cross-validation.</summary>
    public ValidationSpec? Validation { get; init; }

    /// <summary>How much of a large table model selection and tuning read.</summary>
    public TrainingSpec? Training { get; init; }

    /// <summary>When a new version may replace the champion.</summary>
    public GateSpec? Gate { get; init; }

    /// <summary>Hyperparameter tuning of the selected trainer (off unless a strategy is named).</summary>
    public TuningSpec? Tuning { get; init; }

    /// <summary>When a window of new data counts as drifted from the training data.</summary>
    public DriftSpec? Drift { get; init; }

    /// <summary>Approval before promotion, and what an A/B test's decision does.</summary>
    public DeploymentSpec? Deployment { get; init; }

    [JsonIgnore]
    public int EffectiveSeed => Seed ?? DefaultSeed;

    [JsonIgnore]
    public CleaningSpec EffectiveCleaning => Cleaning ?? new CleaningSpec();

    [JsonIgnore]
    public SplitSpec EffectiveSplit => Split ?? new SplitSpec();

    [JsonIgnore]
    public FeaturesSpec EffectiveFeatures => Features ?? new FeaturesSpec();

    [JsonIgnore]
    public ValidationSpec EffectiveValidation => Validation ?? new ValidationSpec();

    [JsonIgnore]
    public TrainingSpec EffectiveTraining => Training ?? new TrainingSpec();

    [JsonIgnore]
    public GateSpec EffectiveGate => Gate ?? new GateSpec();

    [JsonIgnore]
    public TuningSpec EffectiveTuning => Tuning ?? new TuningSpec();

    [JsonIgnore]
    public DeploymentSpec EffectiveDeployment => Deployment ?? new DeploymentSpec();

    [JsonIgnore]
    public DriftSpec EffectiveDrift => Drift ?? new DriftSpec();

    /// <summary>The closed loop: what a drift alert of the champion does (off unless <c>retrain</c> is set).</summary>
    public MonitorSpec? Monitor { get; init; }

    [JsonIgnore]
    public MonitorSpec EffectiveMonitor => Monitor ?? new MonitorSpec();

    public const int DefaultSeed = 42;
}

/// <summary>Costs of a false negative and a false positive, in any common unit.</summary>
public sealed record CostSpec(double FalseNegative, double FalsePositive);

/// <summary>Holdout fractions; they must add up to 1.</summary>
public sealed record SplitSpec(double Train = 0.7, double Validation = 0.15, double Test = 0.15)
{
    /// <summary>
    /// After the test split has measured the chosen configuration, train it once more on every row (train, validation
    /// and test) and serve that model (default true): it learns from all the data it was given, as a user fitting a
    /// peer library would. The metrics and the gate stay those of the model evaluated on the untouched test split.
    /// False serves the evaluated model itself.
    /// </summary>
    public bool Refit { get; init; } = true;

    /// <summary>
    /// What the hash-stable holdout mixes into each row's hash (default: the model's name). Rows keep their part while it
    /// stays the same; two models given the same salt hold out the same rows of the same data.
    /// </summary>
    public string? Salt { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<ColumnRole>))]
public enum ColumnRole
{
    Numeric,
    Categorical,
    Boolean,
    Text,
    DateTime,
    Ignore,
}

/// <summary>How the data is cleaned. Statistics (fill values, fences, scales) are fitted on the training split only.</summary>
public sealed record CleaningSpec
{
    /// <summary>Remove exact duplicate rows before splitting (default true).</summary>
    public bool DropDuplicates { get; init; } = true;

    /// <summary>Missing feature values: impute them (default) or drop the rows.</summary>
    public MissingPolicy Missing { get; init; } = MissingPolicy.Impute;

    public NumericImputation NumericImputation { get; init; } = NumericImputation.Median;

    public CategoricalImputation CategoricalImputation { get; init; } = CategoricalImputation.MissingCategory;

    /// <summary>Fill value for <see cref="NumericImputation.Constant"/>.</summary>
    public double FillValue { get; init; }

    /// <summary>Fill value for <see cref="CategoricalImputation.Constant"/>.</summary>
    public string FillCategory { get; init; } = "missing";

    public OutlierPolicy Outliers { get; init; } = OutlierPolicy.Keep;

    public OutlierMethod OutlierMethod { get; init; } = OutlierMethod.Iqr;

    public Scaling Scaling { get; init; } = Scaling.None;

    /// <summary>Drop constant columns (default true).</summary>
    public bool DropConstant { get; init; } = true;

    /// <summary>Drop ID-like columns: text where almost every value is distinct (default true).</summary>
    public bool DropIdLike { get; init; } = true;

    /// <summary>Drop columns with no value at all instead of rejecting the dataset (default false).</summary>
    public bool DropEmptyColumns { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<MissingPolicy>))]
public enum MissingPolicy { Impute, Drop }

[JsonConverter(typeof(JsonStringEnumConverter<NumericImputation>))]
public enum NumericImputation { Median, Mean, Mode, Constant }

[JsonConverter(typeof(JsonStringEnumConverter<CategoricalImputation>))]
public enum CategoricalImputation { MissingCategory, Mode, Constant }

[JsonConverter(typeof(JsonStringEnumConverter<OutlierPolicy>))]
public enum OutlierPolicy { Keep, Clip, Drop }

[JsonConverter(typeof(JsonStringEnumConverter<OutlierMethod>))]
public enum OutlierMethod { Iqr, ZScore, Mad }

[JsonConverter(typeof(JsonStringEnumConverter<Scaling>))]
public enum Scaling { None, Standard, MinMax, Robust }

/// <summary>How candidate trainers are compared (on the train + validation rows; the test split stays untouched).</summary>
public sealed record ValidationSpec
{
    /// <summary>Default: time series when <see cref="OrderBy"/> is set, stratified k-fold for classification, k-fold for regression.</summary>
    public CvMethod? Method { get; init; }

    /// <summary>Number of folds (2–20; ignored by leave-one-out and holdout). Default 5.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Date or numeric column that orders rows in time (time-series CV, and a chronological test split).</summary>
    public string? OrderBy { get; init; }

    /// <summary>Time series: train on a sliding window of one block instead of everything before (expanding).</summary>
    public bool Sliding { get; init; }

    /// <summary>Column whose groups must not be split across folds (group k-fold).</summary>
    public string? GroupBy { get; init; }

    /// <summary>Fold activities running at once (default 2).</summary>
    public int MaxConcurrency { get; init; } = 2;

    /// <summary>Candidate trainers (default all): LightGbm, FastTree, FastForest, Linear.</summary>
    public IReadOnlyList<string>? Trainers { get; init; }

    /// <summary>Columns whose values (numbers in quartile bands) slice the test metrics, e.g. ["sex"].</summary>
    public IReadOnlyList<string>? SliceBy { get; init; }

    /// <summary>
    /// Try a weighted ensemble of the candidates (and the best tuning trials) by greedy selection over their
    /// out-of-fold predictions; it is served only when its cross-validated score beats the best single candidate.
    /// Default true.
    /// </summary>
    public bool Ensemble { get; init; } = true;
}

/// <summary>How much of a large table model selection and tuning read; the models trained and served read every row.</summary>
public sealed record TrainingSpec
{
    /// <summary>
    /// Train and validation rows above which cross-validation, tuning and ensemble selection run on a stratified sample
    /// of this many of them (classes in proportion, every class kept). The evaluated model trains on every train and
    /// validation row, the served one on every row. Default <see cref="DefaultSampleRows"/>; at least 1,000.
    /// </summary>
    public int? SampleRows { get; init; }

    /// <summary>
    /// The default: well past where the trainers' cross-validated ranking settles (bench/README.md, <i>Large data</i>),
    /// and below the rows at which the 20 fold trainings of a default run dominate its time.
    /// </summary>
    public const int DefaultSampleRows = 250_000;

    [JsonIgnore]
    public int EffectiveSampleRows => SampleRows ?? DefaultSampleRows;
}

[JsonConverter(typeof(JsonStringEnumConverter<CvMethod>))]
public enum CvMethod { Holdout, KFold, StratifiedKFold, LeaveOneOut, TimeSeries, GroupKFold }

/// <summary>
/// The champion gate: a new version replaces the champion only when the spec's success criteria pass and its primary
/// metric beats the champion's on the same test rows by more than these margins (like MLflow's MetricThreshold).
/// </summary>
public sealed record GateSpec
{
    /// <summary>Minimum improvement in the metric's own units (default 0: any improvement).</summary>
    public double MinImprovement { get; init; }

    /// <summary>Minimum improvement relative to the champion's value (0.01 = 1 %).</summary>
    public double MinRelativeImprovement { get; init; }
}

/// <summary>What an A/B test's decision does: only report it, promote a better challenger, end the split when the champion is better, or both.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExperimentAction>))]
public enum ExperimentAction { Report, Promote, Rollback, Auto }

/// <summary>Deployment rules of the model's versions.</summary>
public sealed record DeploymentSpec
{
    /// <summary>A version that passes the gate waits for an approval (<c>POST /api/runs/{runId}/approval</c>) before it is promoted.</summary>
    public bool RequireApproval { get; init; }

    /// <summary>How long promotion waits for the approval; then the version stays a candidate (default 24 h).</summary>
    public double ApprovalTimeoutHours { get; init; } = 24;

    /// <summary>What a champion-vs-challenger test's decision does (default: report only).</summary>
    public ExperimentAction Experiment { get; init; } = ExperimentAction.Report;

    /// <summary>The test's bound on a false decision under continuous monitoring (default 0.05).</summary>
    public double ExperimentAlpha { get; init; } = 0.05;

    /// <summary>Outcomes each arm needs before the test decides anything (default 100).</summary>
    public int ExperimentMinSamplePerArm { get; init; } = 100;
}

[JsonConverter(typeof(JsonStringEnumConverter<TuningStrategy>))]
public enum TuningStrategy { None, Grid, Random, Tpe, Hyperband }

/// <summary>
/// Tuning of the trainer that cross-validation selected: trials train on the training split and are scored on the
/// validation split; the best configuration is refit on train + validation. Budget: whichever of trials, total
/// resource and minutes runs out first.
/// </summary>
public sealed record TuningSpec
{
    public TuningStrategy Strategy { get; init; } = TuningStrategy.None;

    public int MaxTrials { get; init; } = 30;

    /// <summary>Sum of the trials' resource (boosting rounds / trees) allowed; 0 = no limit.</summary>
    public double MaxTotalResource { get; init; }

    public double MaxMinutes { get; init; } = 30;

    public int MaxConcurrency { get; init; } = 2;

    /// <summary>Resource of a full trial (boosting rounds or trees); Hyperband's R.</summary>
    public double MaxResource { get; init; } = 243;

    /// <summary>Hyperband's smallest resource (default R / η⁴).</summary>
    public double? MinResource { get; init; }

    /// <summary>Hyperband's reduction factor η.</summary>
    public int Eta { get; init; } = 3;

    /// <summary>Grid: values per parameter.</summary>
    public int GridPoints { get; init; } = 3;

    /// <summary>Ranges that replace the trainer's defaults, by parameter name.</summary>
    public Dictionary<string, Tuning.ParamRange>? Space { get; init; }
}

/// <summary>Features declared in the spec; each becomes a numeric model input computed from the raw columns.</summary>
public sealed record FeaturesSpec
{
    /// <summary>Products (any number of columns) or ratios (two columns) of numeric columns.</summary>
    public IReadOnlyList<InteractionSpec>? Interactions { get; init; }

    /// <summary>Numeric columns to add as sign(x)·log(1 + |x|).</summary>
    public IReadOnlyList<string>? Log { get; init; }

    /// <summary>Numeric columns to add as a bucket index, with ascending edges: {"age": [25, 35, 50]}.</summary>
    public Dictionary<string, IReadOnlyList<double>>? Buckets { get; init; }

    /// <summary>Categorical columns with more distinct values than this are hashed instead of one-hot encoded (default 64).</summary>
    public int OneHotMaxCategories { get; init; } = 64;

    /// <summary>Add a 0/1 "was missing" input next to each numeric input that had missing values in training (default true).</summary>
    public bool MissingIndicators { get; init; } = true;

    /// <summary>Lag features of numeric columns, in rows back: {"temp_max": [1, 7]} (needs <see cref="OrderBy"/>).</summary>
    public Dictionary<string, IReadOnlyList<int>>? Lags { get; init; }

    /// <summary>Rolling statistics over the previous rows (never the current one) of numeric columns.</summary>
    public IReadOnlyList<RollingSpec>? Rolling { get; init; }

    /// <summary>Column that orders rows in time for lags and rolling windows (default: <c>validation.orderBy</c>).</summary>
    public string? OrderBy { get; init; }

    /// <summary>Entity key: lags and windows look back only over rows with the same value (e.g. a store or sensor id).</summary>
    public string? Entity { get; init; }

    /// <summary>Dropping near-constant, duplicated and uninformative inputs, fitted on each training split.</summary>
    public SelectionSpec? Selection { get; init; }

    [JsonIgnore]
    public SelectionSpec EffectiveSelection => Selection ?? new SelectionSpec();
}

/// <summary>A rolling window: <c>stats</c> of the <c>window</c> rows before the current one.</summary>
public sealed record RollingSpec(string Column, int Window, IReadOnlyList<RollingStat>? Stats = null)
{
    [JsonIgnore]
    public IReadOnlyList<RollingStat> EffectiveStats => Stats is { Count: > 0 } ? Stats : [RollingStat.Mean];
}

[JsonConverter(typeof(JsonStringEnumConverter<RollingStat>))]
public enum RollingStat { Mean, Min, Max }

/// <summary>Feature selection, fitted on the training rows of every fold and of the final model.</summary>
public sealed record SelectionSpec
{
    /// <summary>Drop an input whose most frequent value (missing counts as a value) covers at least this share of the training rows (default 0.995; 1 drops only constant inputs).</summary>
    public double NearConstant { get; init; } = 0.995;

    /// <summary>Of two numeric inputs with |Pearson r| at least this on the training rows, drop the one with less mutual information with the label (default 0.98).</summary>
    public double Correlation { get; init; } = 0.98;

    /// <summary>Keep only the k inputs with the most mutual information with the label (default: all).</summary>
    public int? TopK { get; init; }

    /// <summary>Drop inputs whose mutual information with the label (nats, bias-corrected) is below this (default 0: none).</summary>
    public double MinMutualInformation { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<AugmentationMethod>))]
public enum AugmentationMethod { None, Smote, Jitter }

/// <summary>Synthetic minority-class rows added to the training rows only (classification; never to validation or test rows).</summary>
public sealed record AugmentationSpec
{
    public AugmentationMethod Method { get; init; } = AugmentationMethod.None;

    /// <summary>Each smaller class is grown to at least this fraction of the largest class (default 1: balanced).</summary>
    public double Ratio { get; init; } = 1.0;

    /// <summary>SMOTE: nearest same-class neighbours to interpolate towards (default 5).</summary>
    public int Neighbors { get; init; } = 5;

    /// <summary>Jitter: Gaussian noise with this fraction of each numeric column's standard deviation (default 0.05).</summary>
    public double Noise { get; init; } = 0.05;
}

[JsonConverter(typeof(JsonStringEnumConverter<InteractionOp>))]
public enum InteractionOp { Product, Ratio }

public sealed record InteractionSpec(IReadOnlyList<string> Columns, InteractionOp Op = InteractionOp.Product);

/// <summary>
/// Drift monitoring: every feature of a window is tested against the training data's profile with the thresholds
/// below (overridable per feature), as <see cref="DriftThresholds"/> describes, and the window has drifted when at
/// least one feature has and the drifted share of the tested features is at least <see cref="DriftedShare"/>.
/// </summary>
public sealed record DriftSpec
{
    /// <inheritdoc cref="DriftThresholds.Alpha"/>
    public double Alpha { get; init; } = DriftThresholds.Default.Alpha;

    /// <inheritdoc cref="DriftThresholds.MinDistance"/>
    public double MinDistance { get; init; } = DriftThresholds.Default.MinDistance;

    /// <inheritdoc cref="DriftThresholds.MinPsi"/>
    public double MinPsi { get; init; } = DriftThresholds.Default.MinPsi;

    /// <inheritdoc cref="DriftThresholds.MinRows"/>
    public int MinRows { get; init; } = DriftThresholds.Default.MinRows;

    /// <summary>Share of the tested features that must drift for the window to count as drifted (default 0.3; 0: any one).</summary>
    public double DriftedShare { get; init; } = DefaultDriftedShare;

    /// <summary>Thresholds that replace the ones above for a feature, by column name; unset fields keep the spec-wide value.</summary>
    public Dictionary<string, FeatureDriftSpec>? Features { get; init; }

    /// <summary>Labelled rows (feedback, or a label column in checked data) needed before realized metrics are judged (default 50).</summary>
    public int MinLabels { get; init; } = 50;

    /// <summary>
    /// Concept drift: the realized primary metric may be worse than the baseline's test metric by this share of it
    /// plus 1.645 bootstrap standard errors of the realized value, before the model counts as degraded (default 0.1:
    /// accuracy 0.80 on 400 labels → degraded below about 0.69).
    /// </summary>
    public double MetricTolerance { get; init; } = 0.1;

    public const double DefaultDriftedShare = 0.3;

    /// <summary>The thresholds that apply to one feature.</summary>
    public DriftThresholds ThresholdsFor(string feature)
    {
        var own = Features?.GetValueOrDefault(feature);
        return new DriftThresholds
        {
            Alpha = own?.Alpha ?? Alpha,
            MinDistance = own?.MinDistance ?? MinDistance,
            MinPsi = own?.MinPsi ?? MinPsi,
            MinRows = own?.MinRows ?? MinRows,
        };
    }
}

[JsonConverter(typeof(JsonStringEnumConverter<RetrainData>))]
public enum RetrainData
{
    /// <summary>The champion's training data plus the labelled predictions of the drifted window (feedback).</summary>
    ReferencePlusRecent,

    /// <summary>The newest CSV with the label column in <c>monitoring/{model}/</c>.</summary>
    LatestBatch,
}

/// <summary>
/// The closed loop. When a scheduled check finds the champion's features drifted or its realized metric degraded,
/// the monitor retrains on <see cref="Data"/>, evaluates and gates the new version against the champion, gives it
/// <see cref="CanaryWeight"/> % of the traffic for <see cref="BakeMinutes"/>, then promotes it — after approval when
/// <c>deployment.requireApproval</c> is set — or rolls it back when its early feedback or its predictions regressed.
/// </summary>
public sealed record MonitorSpec
{
    /// <summary>Opt in: retrain on drift or degradation (default false: checks only alert).</summary>
    public bool Retrain { get; init; }

    public RetrainData Data { get; init; } = RetrainData.ReferencePlusRecent;

    /// <summary>Share of traffic, in %, the retrained version gets during the canary (default 10).</summary>
    public int CanaryWeight { get; init; } = 10;

    /// <summary>How long the canary runs before it is judged, in minutes (default 60).</summary>
    public double BakeMinutes { get; init; } = 60;

    /// <summary>Fed-back outcomes each arm needs for the canary to be judged; fewer ends it without promotion (default 30).</summary>
    public int MinCanaryLabels { get; init; } = 30;

    /// <summary>How far the canary's mean outcome (accuracy, or −absolute error) may fall below the champion's, beyond 1.645 standard errors of the difference, before it is rolled back (default 0.02).</summary>
    public double CanaryTolerance { get; init; } = 0.02;

    /// <summary>Share of its requests the canary may fail (it could not be loaded or scored; the champion answered them) before it is rolled back (default 0.01).</summary>
    public double CanaryMaxErrorRate { get; init; } = 0.01;
}

/// <summary>One feature's drift thresholds; null fields keep the spec-wide value.</summary>
public sealed record FeatureDriftSpec(double? Alpha = null, double? MinDistance = null, double? MinPsi = null, int? MinRows = null);
