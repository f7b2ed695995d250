using MathNet.Numerics.Statistics;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Evaluation;

/// <summary>Evaluation metrics computed from predictions (names are the keys stored on every version).</summary>
public static class Metrics
{
    /// <summary>
    /// Accuracy, balanced accuracy, macro-F1 and log-loss for any classification; for binary also precision, recall and
    /// F1 of the positive class and AUC-ROC.
    /// </summary>
    /// <param name="actual">True class per row.</param>
    /// <param name="predicted">Predicted class per row.</param>
    /// <param name="probabilities">Predicted probability of each class per row (for log-loss and AUC); may be null.</param>
    /// <param name="classes">All classes.</param>
    /// <param name="positive">Positive class for binary metrics, or null.</param>
    public static Dictionary<string, double> Classification(
        IReadOnlyList<string> actual,
        IReadOnlyList<string?> predicted,
        IReadOnlyList<IReadOnlyDictionary<string, double>>? probabilities,
        IReadOnlyList<string> classes,
        string? positive)
    {
        var n = actual.Count;
        var tp = classes.ToDictionary(c => c, _ => 0);
        var fp = classes.ToDictionary(c => c, _ => 0);
        var fn = classes.ToDictionary(c => c, _ => 0);
        var correct = 0;
        for (var i = 0; i < n; i++)
        {
            if (actual[i] == predicted[i])
            {
                correct++;
                tp[actual[i]]++;
            }
            else
            {
                fn[actual[i]]++;
                if (predicted[i] is { } p && fp.ContainsKey(p))
                {
                    fp[p]++;
                }
            }
        }

        var present = classes.Where(c => tp[c] + fn[c] > 0).ToList();
        var result = new Dictionary<string, double>
        {
            ["accuracy"] = (double)correct / n,
            ["balancedAccuracy"] = present.Average(c => Recall(c)),
            // Over the classes that occur in actual or predicted values, as scikit-learn does by default.
            ["macroF1"] = classes.Where(c => tp[c] + fp[c] + fn[c] > 0).Average(c => F1(c)),
            // Single-label: micro precision = micro recall = accuracy.
            ["microF1"] = (double)correct / n,
            ["weightedF1"] = present.Sum(c => F1(c) * (tp[c] + fn[c])) / n,
        };
        if (probabilities is not null)
        {
            result["logLoss"] = Enumerable.Range(0, n).Average(i => -Math.Log(Math.Clamp(probabilities[i].GetValueOrDefault(actual[i]), 1e-15, 1)));
        }

        if (positive is not null)
        {
            result["precision"] = tp[positive] + fp[positive] == 0 ? 0 : (double)tp[positive] / (tp[positive] + fp[positive]);
            result["recall"] = Recall(positive);
            result["f1"] = F1(positive);
            if (probabilities is not null)
            {
                var isPositive = actual.Select(a => a == positive).ToList();
                var scores = probabilities.Select(p => p.GetValueOrDefault(positive)).ToList();
                // Undefined when the rows hold one class: left out rather than NaN (NaN does not serialize).
                if (isPositive.Contains(true) && isPositive.Contains(false))
                {
                    result["auc"] = Auc(isPositive, scores);
                    result["aucPr"] = AveragePrecision(isPositive, scores);
                }
            }
        }

        return result;

        double Recall(string c) => tp[c] + fn[c] == 0 ? 0 : (double)tp[c] / (tp[c] + fn[c]);

        double F1(string c) => 2 * tp[c] + fp[c] + fn[c] == 0 ? 0 : 2.0 * tp[c] / (2 * tp[c] + fp[c] + fn[c]);
    }

    /// <summary>One-sided 95 % normal quantile: how many standard errors of noise a drop must exceed to count.</summary>
    public const double OneSidedZ95 = 1.645;

    /// <summary>Rows a bootstrap resamples at most; more rows are subsampled and the error scaled by √(m / n).</summary>
    public const int MaxBootstrapRows = 2000;

    /// <summary>
    /// The bootstrap standard error of one metric over these rows: its standard deviation over
    /// <paramref name="resamples"/> seeded resamples with replacement. Null when the metric is undefined on them.
    /// </summary>
    public static double? BootstrapStandardError(DatasetSchema schema, IReadOnlyList<string> actual, IReadOnlyList<Prediction> predictions, string metric, int resamples = 200, int seed = 17)
    {
        var random = new Random(seed);
        var m = Math.Min(actual.Count, MaxBootstrapRows);
        var values = new List<double>(resamples);
        for (var b = 0; b < resamples; b++)
        {
            var picks = Enumerable.Range(0, m).Select(_ => random.Next(actual.Count)).ToArray();
            if (For(schema, [.. picks.Select(i => actual[i])], [.. picks.Select(i => predictions[i])]).TryGetValue(metric, out var value) && double.IsFinite(value))
            {
                values.Add(value);
            }
        }

        return values.Count < resamples / 2 ? null : values.StandardDeviation() * Math.Sqrt((double)m / actual.Count);
    }

    /// <summary>Every metric of the schema's task for predictions of rows whose actual labels are given.</summary>
    public static Dictionary<string, double> For(DatasetSchema schema, IReadOnlyList<string> actual, IReadOnlyList<Prediction> predictions) =>
        schema.IsClassification
            ? Classification(actual, predictions.Select(p => p.Label).ToList(), predictions.Select(p => p.Probabilities!).ToList(), schema.Classes!, schema.PositiveClass)
            : Regression(actual.Select(a => (double)FeatureRows.ToSingle(a)).ToList(), predictions.Select(p => p.Score!.Value).ToList());

    /// <summary>Area under the ROC curve (Mann-Whitney U, ties count half); NaN when one class is absent.</summary>
    public static double Auc(IReadOnlyList<bool> actual, IReadOnlyList<double> score)
    {
        var order = Enumerable.Range(0, actual.Count).OrderBy(i => score[i]).ToArray();
        var ranks = new double[order.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && score[order[j + 1]] == score[order[i]])
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = (i + j) / 2.0 + 1;
            }

            i = j + 1;
        }

        double positives = actual.Count(a => a), negatives = actual.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        var rankSum = Enumerable.Range(0, actual.Count).Where(i => actual[i]).Sum(i => ranks[i]);
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }

    /// <summary>
    /// Area under the precision-recall curve as average precision (Σ (Rₙ − Rₙ₋₁) Pₙ over score thresholds, ties
    /// taken together), as scikit-learn's <c>average_precision_score</c>.
    /// </summary>
    public static double AveragePrecision(IReadOnlyList<bool> actual, IReadOnlyList<double> score)
    {
        var positives = actual.Count(a => a);
        if (positives == 0)
        {
            return double.NaN;
        }

        double ap = 0, truePositives = 0, seen = 0, previousRecall = 0;
        foreach (var group in Enumerable.Range(0, actual.Count).GroupBy(i => score[i]).OrderByDescending(g => g.Key))
        {
            truePositives += group.Count(i => actual[i]);
            seen += group.Count();
            var recall = truePositives / positives;
            ap += (recall - previousRecall) * (truePositives / seen);
            previousRecall = recall;
        }

        return ap;
    }

    /// <summary>Confusion matrix (rows = actual, columns = predicted, in class order) and per-class precision, recall, F1.</summary>
    public static ClassificationDetail Detail(IReadOnlyList<string> actual, IReadOnlyList<string?> predicted, IReadOnlyList<string> classes)
    {
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var matrix = classes.Select(_ => new int[classes.Count]).ToArray();
        for (var i = 0; i < actual.Count; i++)
        {
            if (predicted[i] is { } p && index.TryGetValue(p, out var column))
            {
                matrix[index[actual[i]]][column]++;
            }
        }

        var perClass = classes.Select((c, i) =>
        {
            var tp = matrix[i][i];
            var support = matrix[i].Sum();
            var predictedCount = matrix.Sum(row => row[i]);
            double precision = predictedCount == 0 ? 0 : (double)tp / predictedCount, recall = support == 0 ? 0 : (double)tp / support;
            return new ClassMetrics(c, precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall), support);
        }).ToList();
        return new ClassificationDetail(classes, matrix, perClass);
    }

    /// <summary>RMSE, MAE, R² and MAPE (R² is 1 when constant actual values are predicted exactly, else 0).</summary>
    public static Dictionary<string, double> Regression(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        var n = actual.Count;
        var mean = actual.Average();
        double squared = 0, absolute = 0, total = 0;
        for (var i = 0; i < n; i++)
        {
            var error = predicted[i] - actual[i];
            squared += error * error;
            absolute += Math.Abs(error);
            total += (actual[i] - mean) * (actual[i] - mean);
        }

        var result = new Dictionary<string, double>
        {
            ["rmse"] = Math.Sqrt(squared / n),
            ["mae"] = absolute / n,
            ["r2"] = total == 0 ? (squared == 0 ? 1 : 0) : 1 - squared / total,
        };

        // MAPE is undefined where the actual value is 0: those rows are left out, and the metric too if all are 0.
        var nonZero = Enumerable.Range(0, n).Where(i => Math.Abs(actual[i]) > 1e-12).ToList();
        if (nonZero.Count > 0)
        {
            result["mape"] = nonZero.Average(i => Math.Abs((predicted[i] - actual[i]) / actual[i]));
        }

        return result;
    }
}

public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>Confusion matrix (rows actual, columns predicted, both in <see cref="Classes"/> order) and per-class metrics.</summary>
public sealed record ClassificationDetail(IReadOnlyList<string> Classes, int[][] ConfusionMatrix, IReadOnlyList<ClassMetrics> PerClass);
