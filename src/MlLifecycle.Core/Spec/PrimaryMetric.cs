using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Spec;

/// <summary>A criterion from the spec checked against a test metric.</summary>
public sealed record CriterionResult(string Metric, double Threshold, double? Value, bool Passed);

/// <summary>
/// Chooses the metric that ranks models, following the metric guidelines: recall when a false negative costs more,
/// precision when a false positive does, F1 / balanced accuracy for imbalanced classes, AUC or accuracy when balanced,
/// RMSE for regression. An explicit <c>primaryMetric</c> wins.
/// </summary>
public static class PrimaryMetric
{
    /// <summary>Cost ratio from which one kind of error dominates.</summary>
    public const double DominantCostRatio = 2;

    private static readonly HashSet<string> LowerIsBetter = new(["rmse", "mae", "logLoss"], StringComparer.Ordinal);

    public static bool HigherIsBetter(string metric) => !LowerIsBetter.Contains(metric);

    public static string Choose(ProblemSpec spec, DatasetSchema schema, double? imbalanceRatio)
    {
        if (spec.PrimaryMetric is { } declared)
        {
            return declared;
        }

        var imbalanced = imbalanceRatio >= QualityReport.ImbalancedRatio;
        return schema.Task switch
        {
            MlTask.Regression => "rmse",
            MlTask.MulticlassClassification => imbalanced ? "balancedAccuracy" : "accuracy",
            _ when spec.Costs is { } costs && costs.FalseNegative >= DominantCostRatio * costs.FalsePositive => "recall",
            _ when spec.Costs is { } costs && costs.FalsePositive >= DominantCostRatio * costs.FalseNegative => "precision",
            _ when spec.Costs is not null || imbalanced => "f1",
            _ => "auc",
        };
    }

    /// <summary>Checks every success criterion of the spec (a missing metric fails).</summary>
    public static List<CriterionResult> Check(IReadOnlyDictionary<string, double>? criteria, IReadOnlyDictionary<string, double> metrics) =>
        (criteria ?? new Dictionary<string, double>()).Select(c =>
        {
            double? value = metrics.TryGetValue(c.Key, out var v) ? v : null;
            var passed = value is { } x && (HigherIsBetter(c.Key) ? x >= c.Value : x <= c.Value);
            return new CriterionResult(c.Key, c.Value, value, passed);
        }).ToList();
}
