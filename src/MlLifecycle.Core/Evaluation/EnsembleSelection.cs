using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Evaluation;

/// <summary>
/// The outcome of ensemble selection: each candidate's weight (0 when unused), the cross-validated score of the
/// greedy procedure against that of picking the best single candidate (higher is better, as the scorer returns them),
/// and whether the ensemble is worth serving: more than one member and a better score.
/// </summary>
public sealed record EnsembleChoice(IReadOnlyList<double> Weights, double EnsembleScore, double SingleScore, int BestSingle, bool Chosen);

/// <summary>
/// Caruana et al.'s ensemble selection (ICML 2004): start empty, and at each step add, with replacement, the candidate
/// whose addition makes the averaged predictions score best on out-of-fold rows; the weights are the counts of the
/// best-scoring prefix. Whether that beats one model is itself cross-validated: the rows are cut into groups, and on
/// each group the ensemble selected on the other groups is scored against the single candidate those groups rank
/// best. Selection on the rows it is scored on would flatter the ensemble. Candidates are compared on one footing:
/// each one's class is the most probable class of its probabilities (a single model served alone keeps ML.NET's own
/// predicted label, which for a calibrated binary trainer is its raw score's sign).
/// </summary>
public static class EnsembleSelection
{
    /// <summary>Greedy steps (members added with replacement; weights are multiples of 1/steps or coarser).</summary>
    public const int Steps = 20;

    /// <summary>Distinct members at most: each one costs a model's scoring time per prediction.</summary>
    public const int MaxMembers = 4;

    /// <summary>Groups of the nested comparison when the cross-validation folds cannot serve as groups.</summary>
    public const int Groups = 5;

    /// <summary>
    /// Chooses weights over candidates' out-of-fold predictions (<see cref="PredictionVectors"/>; every candidate
    /// predicts the same rows, in the same order).
    /// </summary>
    /// <param name="candidates">Per candidate, a vector per row.</param>
    /// <param name="score">Higher-is-better score of vectors for a subset of rows (by index); −∞ when undefined.</param>
    /// <param name="groups">Each row's group of the nested comparison (the cross-validation fold it was held out in, so
    /// rows of one <c>groupBy</c> group or time block stay together).</param>
    public static EnsembleChoice Select(IReadOnlyList<double[][]> candidates, Func<int[], double[][], double> score, int[] groups)
    {
        var all = Enumerable.Range(0, candidates[0].Length).ToArray();
        double ensembleTotal = 0, singleTotal = 0;
        var scored = 0;
        foreach (var g in groups.Distinct().Order())
        {
            var fit = all.Where(i => groups[i] != g).ToArray();
            var held = all.Where(i => groups[i] == g).ToArray();
            if (fit.Length == 0)
            {
                continue;
            }

            var counts = Greedy(candidates, fit, score);
            var single = BestSingle(candidates, fit, score);
            var (ensemble, alone) = (score(held, Blend(candidates, counts, held)), score(held, held.Select(i => candidates[single][i]).ToArray()));
            // A metric undefined on a group (AUC of a one-class group) says nothing about either: the group is left out.
            if (double.IsFinite(ensemble) && double.IsFinite(alone))
            {
                (ensembleTotal, singleTotal, scored) = (ensembleTotal + ensemble, singleTotal + alone, scored + 1);
            }
        }

        var final = Greedy(candidates, all, score);
        var weights = final.Select(c => (double)c / final.Sum()).ToList();
        var best = BestSingle(candidates, all, score);
        double ensembleScore = scored == 0 ? double.NaN : ensembleTotal / scored, singleScore = scored == 0 ? double.NaN : singleTotal / scored;
        var chosen = final.Count(c => c > 0) > 1 && scored > 1 && ensembleScore > singleScore;
        return new EnsembleChoice(weights, ensembleScore, singleScore, best, chosen);
    }

    /// <summary>
    /// <paramref name="groups"/> seeded groups of <paramref name="rows"/> rows, as even as can be: the nested comparison's
    /// groups when the cross-validation folds cannot serve (one holdout fold, or leave-one-out's one row a fold).
    /// </summary>
    public static int[] RandomGroups(int rows, int groups, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows).Select(i => i % groups).OrderBy(_ => random.Next())];
    }

    /// <summary>
    /// Greedy selection with replacement on some rows: how many times each candidate was added, for the best-scoring
    /// prefix of <see cref="Steps"/> steps. Ties go to the earlier candidate; at most <see cref="MaxMembers"/> distinct.
    /// </summary>
    public static int[] Greedy(IReadOnlyList<double[][]> candidates, int[] rows, Func<int[], double[][], double> score)
    {
        var width = candidates[0][0].Length;
        var sum = rows.Select(_ => new double[width]).ToArray();
        var trial = rows.Select(_ => new double[width]).ToArray();
        var counts = new int[candidates.Count];
        int[] best = [];
        var bestScore = double.NegativeInfinity;
        for (var step = 1; step <= Steps; step++)
        {
            var distinct = counts.Count(c => c > 0);
            var (pick, pickScore) = (-1, double.NegativeInfinity);
            for (var c = 0; c < candidates.Count; c++)
            {
                if (counts[c] == 0 && distinct >= MaxMembers)
                {
                    continue;
                }

                for (var k = 0; k < rows.Length; k++)
                {
                    var vector = candidates[c][rows[k]];
                    for (var j = 0; j < width; j++)
                    {
                        trial[k][j] = (sum[k][j] + vector[j]) / step;
                    }
                }

                var value = score(rows, trial);
                if (pick < 0 || value > pickScore)
                {
                    (pick, pickScore) = (c, value);
                }
            }

            counts[pick]++;
            for (var k = 0; k < rows.Length; k++)
            {
                for (var j = 0; j < width; j++)
                {
                    sum[k][j] += candidates[pick][rows[k]][j];
                }
            }

            if (pickScore > bestScore || best.Length == 0)
            {
                (best, bestScore) = ([.. counts], pickScore);
            }
        }

        return best;
    }

    /// <summary>The counts-weighted average of the candidates' vectors on some rows.</summary>
    public static double[][] Blend(IReadOnlyList<double[][]> candidates, int[] counts, int[] rows)
    {
        var total = (double)counts.Sum();
        return [.. rows.Select(row => PredictionVectors.Weighted(candidates.Select((c, i) => (c[row], counts[i] / total))))];
    }

    /// <summary>
    /// A higher-is-better score of prediction vectors against the actual labels of the rows, by one metric (negated
    /// when lower is better); −∞ when the metric is undefined on the rows.
    /// </summary>
    public static Func<int[], double[][], double> Scorer(DatasetSchema schema, IReadOnlyList<string> actual, string metric)
    {
        var sign = PrimaryMetric.HigherIsBetter(metric) ? 1 : -1;
        return (rows, vectors) =>
        {
            var value = Metrics.For(schema, rows.Select(i => actual[i]).ToList(), vectors.Select(v => PredictionVectors.ToPrediction(schema, v)).ToList()).GetValueOrDefault(metric, double.NaN);
            return double.IsFinite(value) ? sign * value : double.NegativeInfinity;
        };
    }

    private static int BestSingle(IReadOnlyList<double[][]> candidates, int[] rows, Func<int[], double[][], double> score) =>
        Enumerable.Range(0, candidates.Count).Select(c => (c, value: score(rows, rows.Select(i => candidates[c][i]).ToArray())))
            .OrderByDescending(x => x.value).ThenBy(x => x.c).First().c;
}

/// <summary>
/// A prediction as a vector of numbers, what ensembles average: the probability of each class in
/// <see cref="DatasetSchema.Classes"/> order, or the one regression value.
/// </summary>
public static class PredictionVectors
{
    public static double[] Of(DatasetSchema schema, Prediction prediction) =>
        schema.IsClassification ? [.. schema.Classes!.Select(c => prediction.Probabilities!.GetValueOrDefault(c))] : [prediction.Score!.Value];

    /// <summary>The weighted sum of vectors of one width (the weights add up to 1: a weighted average).</summary>
    public static double[] Weighted(IEnumerable<(double[] Vector, double Weight)> vectors)
    {
        double[]? sum = null;
        foreach (var (vector, weight) in vectors)
        {
            sum ??= new double[vector.Length];
            for (var j = 0; j < vector.Length; j++)
            {
                sum[j] += weight * vector[j];
            }
        }

        return sum ?? [];
    }

    /// <summary>The prediction of an averaged vector: the most probable class (the first on a tie), or the value.</summary>
    public static Prediction ToPrediction(DatasetSchema schema, double[] vector)
    {
        if (!schema.IsClassification)
        {
            return new Prediction(null, vector[0], null);
        }

        var classes = schema.Classes!;
        var top = 0;
        for (var j = 1; j < vector.Length; j++)
        {
            top = vector[j] > vector[top] ? j : top;
        }

        return new Prediction(classes[top], null, classes.Select((c, j) => (c, p: vector[j])).ToDictionary(x => x.c, x => x.p));
    }
}
