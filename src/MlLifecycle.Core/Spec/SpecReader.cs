using System.Text.Json;
using System.Text.Json.Serialization;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Spec;

/// <summary>A spec problem, named by its JSON path (e.g. <c>split.train</c>).</summary>
public sealed record SpecError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>An invalid spec; <see cref="Errors"/> names every offending field.</summary>
public sealed class SpecException(IReadOnlyList<SpecError> errors)
    : Exception("Invalid problem spec: " + string.Join("; ", errors))
{
    public IReadOnlyList<SpecError> Errors { get; } = errors;
}

/// <summary>Parses and validates <c>lifecycle.json</c>: unknown fields, wrong types and bad values are errors.</summary>
public static class SpecReader
{
    /// <summary>Deepest lag or widest rolling window, in rows (each row back is one field in prediction requests).</summary>
    public const int MaxHistory = 366;

    public static readonly IReadOnlySet<string> ClassificationMetrics =
        new HashSet<string>(["accuracy", "balancedAccuracy", "macroF1", "logLoss"], StringComparer.Ordinal);

    public static readonly IReadOnlySet<string> BinaryMetrics =
        new HashSet<string>(["accuracy", "balancedAccuracy", "macroF1", "logLoss", "f1", "precision", "recall", "auc"], StringComparer.Ordinal);

    public static readonly IReadOnlySet<string> RegressionMetrics =
        new HashSet<string>(["rmse", "mae", "r2"], StringComparer.Ordinal);

    /// <summary>Upper bound of <c>tuning.maxTrials</c>: the finished trials travel with the tuning orchestration when it continues as new.</summary>
    public const int MaxTuningTrials = 10_000;

    private static readonly JsonSerializerOptions Strict = new(LifecycleJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <exception cref="SpecException">The JSON is malformed or a field is invalid.</exception>
    public static ProblemSpec Parse(string json)
    {
        ProblemSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<ProblemSpec>(json, Strict);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "$" : ex.Path.TrimStart('$', '.');
            var message = ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "unknown field (see schemas/lifecycle.schema.json)"
                : ex.Message.Split(". Path:")[0];
            throw new SpecException([new SpecError(field, message)]);
        }

        return Validate(spec ?? throw new SpecException([new SpecError("$", "the spec must be a JSON object")]));
    }

    /// <summary>Checks values that JSON types alone cannot; returns the spec when it is valid (with lags' time order also set as <c>validation.orderBy</c>).</summary>
    /// <exception cref="SpecException">A field is invalid.</exception>
    public static ProblemSpec Validate(ProblemSpec spec)
    {
        List<SpecError> errors = [];
        if (spec.Label is { } label && string.IsNullOrWhiteSpace(label))
        {
            errors.Add(new("label", "must name a column"));
        }

        if (spec.Split is { } split)
        {
            foreach (var (name, value) in new[] { ("train", split.Train), ("validation", split.Validation), ("test", split.Test) })
            {
                if (value is < 0 or >= 1 || (name != "validation" && value == 0))
                {
                    errors.Add(new($"split.{name}", $"must be in {(name == "validation" ? "[0, 1)" : "(0, 1)")}, got {value}"));
                }
            }

            if (Math.Abs(split.Train + split.Validation + split.Test - 1) > 1e-6)
            {
                errors.Add(new("split", $"train + validation + test must be 1, got {split.Train + split.Validation + split.Test}"));
            }

            if (split.Salt is { } salt && string.IsNullOrWhiteSpace(salt))
            {
                errors.Add(new("split.salt", "must not be empty (leave it out to salt with the model's name)"));
            }
        }

        if (spec.Costs is { } costs && (costs.FalseNegative <= 0 || costs.FalsePositive <= 0))
        {
            errors.Add(new("costs", "falseNegative and falsePositive must both be positive"));
        }

        if (spec.Costs is not null && spec.Task is MlTask.Regression or MlTask.MulticlassClassification)
        {
            errors.Add(new("costs", "costs of false negatives and positives apply to binary classification only"));
        }

        var metrics = spec.Task switch
        {
            MlTask.Regression => RegressionMetrics,
            MlTask.MulticlassClassification => ClassificationMetrics,
            MlTask.BinaryClassification => BinaryMetrics,
            _ => BinaryMetrics.Concat(RegressionMetrics).ToHashSet(StringComparer.Ordinal),
        };
        if (spec.PrimaryMetric is { } primary && !metrics.Contains(primary))
        {
            errors.Add(new("primaryMetric", $"'{primary}' is not a metric of this task; use one of {string.Join(", ", metrics.Order(StringComparer.Ordinal))}"));
        }

        foreach (var (metric, _) in spec.SuccessCriteria ?? [])
        {
            if (!metrics.Contains(metric))
            {
                errors.Add(new($"successCriteria.{metric}", $"'{metric}' is not a metric of this task"));
            }
        }

        if (spec.PositiveClass is not null && spec.Task is MlTask.Regression or MlTask.MulticlassClassification)
        {
            errors.Add(new("positiveClass", "applies to binary classification only"));
        }

        if (spec.Label is { } l && spec.Columns?.ContainsKey(l) == true)
        {
            errors.Add(new($"columns.{l}", "the label column cannot be given a feature kind"));
        }

        if (spec.Training?.SampleRows is < 1000)
        {
            errors.Add(new("training.sampleRows", $"must be at least 1,000, got {spec.Training.SampleRows}"));
        }

        if (spec.Validation is { } validation)
        {
            if (validation.Folds is < 2 or > 20)
            {
                errors.Add(new("validation.folds", $"must be between 2 and 20, got {validation.Folds}"));
            }

            if (validation.MaxConcurrency is < 1 or > 16)
            {
                errors.Add(new("validation.maxConcurrency", $"must be between 1 and 16, got {validation.MaxConcurrency}"));
            }

            if (validation.Method == CvMethod.TimeSeries && (validation.OrderBy ?? spec.Features?.OrderBy) is null)
            {
                errors.Add(new("validation.orderBy", "time-series validation needs the column that orders rows in time"));
            }

            if (validation.Method == CvMethod.GroupKFold && validation.GroupBy is null)
            {
                errors.Add(new("validation.groupBy", "group k-fold needs the column that names each row's group"));
            }

            foreach (var trainer in (validation.Trainers ?? []).Where(t => !Training.Trainers.All.Contains(t, StringComparer.Ordinal)))
            {
                errors.Add(new("validation.trainers", $"unknown trainer '{trainer}'; use {string.Join(", ", Training.Trainers.All)}"));
            }

            if (validation.Trainers is { Count: 0 })
            {
                errors.Add(new("validation.trainers", "name at least one trainer"));
            }
        }

        if (spec.Tuning is { } tuning)
        {
            if (tuning.MaxTrials is < 1 or > MaxTuningTrials)
            {
                errors.Add(new("tuning.maxTrials", $"must be between 1 and {MaxTuningTrials}, got {tuning.MaxTrials}"));
            }

            if (tuning.MaxConcurrency is < 1 or > 16)
            {
                errors.Add(new("tuning.maxConcurrency", $"must be between 1 and 16, got {tuning.MaxConcurrency}"));
            }

            if (tuning.MaxResource < 1 || tuning.MinResource is <= 0 || tuning.MinResource > tuning.MaxResource)
            {
                errors.Add(new("tuning.maxResource", "must be ≥ 1, and minResource must lie in (0, maxResource]"));
            }

            if (tuning.Strategy != TuningStrategy.None && spec.Split is { Validation: 0 })
            {
                errors.Add(new("split.validation", "tuning scores trials on the validation split: it must not be 0"));
            }

            if (tuning.Eta < 2)
            {
                errors.Add(new("tuning.eta", $"must be at least 2, got {tuning.Eta}"));
            }

            if (tuning.GridPoints is < 1 or > 10)
            {
                errors.Add(new("tuning.gridPoints", $"must be between 1 and 10, got {tuning.GridPoints}"));
            }

            if (tuning.MaxMinutes <= 0 || tuning.MaxTotalResource < 0)
            {
                errors.Add(new("tuning", "maxMinutes must be positive and maxTotalResource not negative"));
            }

            foreach (var (name, range) in tuning.Space ?? [])
            {
                if (!Tuning.SearchSpace.OptionNames.Contains(name))
                {
                    errors.Add(new($"tuning.space.{name}", $"is not a trainer option; use one of {string.Join(", ", Tuning.SearchSpace.OptionNames.Order(StringComparer.Ordinal))}"));
                }
                else if (range.Choices is not { Count: > 0 } && (range.Max < range.Min || (range.Log && range.Min <= 0)))
                {
                    errors.Add(new($"tuning.space.{name}", "needs min ≤ max (and min > 0 on a log scale), or choices"));
                }
                else if (name == Training.Trainers.ClassWeightPower && (range.Choices ?? [range.Min]).Any(v => v < 0))
                {
                    errors.Add(new($"tuning.space.{name}", "must not be negative (0 = unweighted classes, 1 = balanced)"));
                }
            }
        }

        if (spec.Deployment is { } deployment)
        {
            if (deployment.ApprovalTimeoutHours is <= 0 or > 24 * 30)
            {
                errors.Add(new("deployment.approvalTimeoutHours", $"must be in (0, 720], got {deployment.ApprovalTimeoutHours}"));
            }

            if (deployment.ExperimentAlpha is <= 0 or >= 0.5)
            {
                errors.Add(new("deployment.experimentAlpha", $"must be in (0, 0.5), got {deployment.ExperimentAlpha}"));
            }

            if (deployment.ExperimentMinSamplePerArm < 2)
            {
                errors.Add(new("deployment.experimentMinSamplePerArm", $"must be at least 2, got {deployment.ExperimentMinSamplePerArm}"));
            }
        }

        if (spec.Drift is { } drift)
        {
            CheckDrift(errors, "drift", drift.Alpha, drift.MinDistance, drift.MinPsi, drift.MinRows);
            if (drift.DriftedShare is < 0 or > 1)
            {
                errors.Add(new("drift.driftedShare", $"must be in [0, 1], got {drift.DriftedShare}"));
            }

            if (drift.MinLabels < 1)
            {
                errors.Add(new("drift.minLabels", $"must be at least 1, got {drift.MinLabels}"));
            }

            if (drift.MetricTolerance is < 0 or > 1)
            {
                errors.Add(new("drift.metricTolerance", $"must be in [0, 1], got {drift.MetricTolerance}"));
            }

            foreach (var (feature, own) in drift.Features ?? [])
            {
                CheckDrift(errors, $"drift.features.{feature}", own.Alpha, own.MinDistance, own.MinPsi, own.MinRows);
            }
        }

        if (spec.Monitor is { } monitor)
        {
            if (monitor.CanaryWeight is < 1 or > 99)
            {
                errors.Add(new("monitor.canaryWeight", $"must be from 1 to 99 (% of traffic), got {monitor.CanaryWeight}"));
            }

            if (monitor.BakeMinutes is <= 0 or > 60 * 24 * 30)
            {
                errors.Add(new("monitor.bakeMinutes", $"must be more than 0 and at most 30 days, got {monitor.BakeMinutes}"));
            }

            if (monitor.MinCanaryLabels < 1)
            {
                errors.Add(new("monitor.minCanaryLabels", $"must be at least 1, got {monitor.MinCanaryLabels}"));
            }

            if (monitor.CanaryTolerance < 0)
            {
                errors.Add(new("monitor.canaryTolerance", $"must not be negative, got {monitor.CanaryTolerance}"));
            }

            if (monitor.CanaryMaxErrorRate is < 0 or > 1)
            {
                errors.Add(new("monitor.canaryMaxErrorRate", $"must be from 0 to 1, got {monitor.CanaryMaxErrorRate}"));
            }
        }

        foreach (var (interaction, i) in (spec.Features?.Interactions ?? []).Select((x, i) => (x, i)))
        {
            if (interaction.Columns is not { Count: >= 2 } || (interaction.Op == InteractionOp.Ratio && interaction.Columns.Count != 2))
            {
                errors.Add(new($"features.interactions[{i}]", "a product needs at least 2 columns, a ratio exactly 2"));
            }
        }

        foreach (var (column, edges) in spec.Features?.Buckets ?? [])
        {
            if (edges is not { Count: > 0 } || edges.Zip(edges.Skip(1)).Any(p => p.First >= p.Second))
            {
                errors.Add(new($"features.buckets.{column}", "needs at least one edge, in ascending order"));
            }
        }

        if (spec.Features is { } features)
        {
            if (features.OneHotMaxCategories < 1)
            {
                errors.Add(new("features.oneHotMaxCategories", "must be at least 1"));
            }

            foreach (var (column, lags) in features.Lags ?? [])
            {
                if (lags is not { Count: > 0 } || lags.Any(k => k is < 1 or > MaxHistory))
                {
                    errors.Add(new($"features.lags.{column}", $"needs lags between 1 and {MaxHistory} rows"));
                }
            }

            foreach (var (rolling, i) in (features.Rolling ?? []).Select((x, i) => (x, i)))
            {
                if (string.IsNullOrWhiteSpace(rolling.Column) || rolling.Window is < 1 or > MaxHistory)
                {
                    errors.Add(new($"features.rolling[{i}]", $"needs a column and a window between 1 and {MaxHistory} rows"));
                }
            }

            if (features.Lags is { Count: > 0 } || features.Rolling is { Count: > 0 })
            {
                var timed = spec.EffectiveValidation;
                if (features.OrderBy is { } a && timed.OrderBy is { } b && a != b)
                {
                    errors.Add(new("validation.orderBy", $"must be the column lags are ordered by ('{a}'): test rows must come after training rows in the same time"));
                }
                else if (timed.Method is not (null or CvMethod.TimeSeries or CvMethod.Holdout))
                {
                    errors.Add(new("validation.method", "lags and rolling windows need time-ordered validation (timeSeries or holdout): shuffled folds would train on later rows' history of earlier ones"));
                }
                else if ((features.OrderBy ?? timed.OrderBy) is { } orderBy)
                {
                    // One time order for history fields, the holdout split and the folds.
                    spec = spec with { Features = features with { OrderBy = orderBy }, Validation = timed with { OrderBy = orderBy } };
                }
            }

            if (features.Selection is { } selection && (selection.NearConstant is <= 0 or > 1 || selection.Correlation is <= 0 or > 1 || selection.TopK < 1 || selection.MinMutualInformation < 0))
            {
                errors.Add(new("features.selection", "nearConstant and correlation must be in (0, 1], topK at least 1, minMutualInformation not negative"));
            }
        }

        if (spec.Augmentation is { } augmentation)
        {
            if (augmentation.Ratio is <= 0 or > 1 || augmentation.Neighbors < 1 || augmentation.Noise <= 0)
            {
                errors.Add(new("augmentation", "ratio must be in (0, 1], neighbors at least 1 and noise positive"));
            }

            if (augmentation.Method != AugmentationMethod.None && spec.Task == MlTask.Regression)
            {
                errors.Add(new("augmentation.method", "oversampling needs classes; it is for classification labels only"));
            }
        }

        if (spec.Gate is { } gate && (gate.MinImprovement < 0 || gate.MinRelativeImprovement < 0))
        {
            errors.Add(new("gate", "improvement margins cannot be negative"));
        }

        return errors.Count == 0 ? spec : throw new SpecException(errors);
    }

    private static void CheckDrift(List<SpecError> errors, string path, double? alpha, double? minDistance, double? minPsi, int? minRows)
    {
        if (alpha is <= 0 or >= 1)
        {
            errors.Add(new($"{path}.alpha", $"must be in (0, 1), got {alpha}"));
        }

        if (minDistance is < 0 or > 1)
        {
            errors.Add(new($"{path}.minDistance", $"must be in [0, 1], got {minDistance}"));
        }

        if (minPsi < 0)
        {
            errors.Add(new($"{path}.minPsi", $"must not be negative, got {minPsi}"));
        }

        if (minRows < 2)
        {
            errors.Add(new($"{path}.minRows", $"must be at least 2, got {minRows}"));
        }
    }
}
