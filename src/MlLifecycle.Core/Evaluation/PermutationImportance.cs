using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Evaluation;

/// <summary>How much the metric drops when one feature's values are shuffled across rows (mean ± std over repeats).</summary>
public sealed record FeatureImportance(string Feature, double Drop, double Std);

/// <summary>
/// Permutation feature importance (Breiman; scikit-learn's <c>permutation_importance</c>) of the final model on raw
/// input columns: a feature whose shuffling hurts the primary metric most matters most. Seeded.
/// </summary>
public static class PermutationImportance
{
    /// <summary>Rows scored at most (a seeded sample above that keeps large test splits cheap).</summary>
    public const int MaxRows = 5000;

    /// <summary>
    /// Most features permuted: each costs repeats × rows predictions, and a prediction's cost grows with the features,
    /// so a 2,000-column dataset would take hours. Beyond this, the features with the most mutual information with the
    /// label are permuted.
    /// </summary>
    public const int MaxFeatures = 64;

    /// <param name="features">Feature names, in row-cell order.</param>
    /// <param name="rows">Raw feature values of the scored rows.</param>
    /// <param name="score">The metric of the model on rows (the caller knows the labels: row order is kept).</param>
    /// <param name="higherIsBetter">Direction of the metric.</param>
    /// <param name="seed">Seed of the shuffles.</param>
    /// <param name="repeats">Shuffles per feature.</param>
    /// <param name="only">Indexes of the features to permute (null: all); the others are left out of the result.</param>
    public static List<FeatureImportance> Compute(IReadOnlyList<string> features, FeatureSource rows, Func<FeatureSource, double> score, bool higherIsBetter, int seed, int repeats = 3, IReadOnlyCollection<int>? only = null)
    {
        var baseline = score(rows);
        List<FeatureImportance> result = [];
        foreach (var f in only ?? [.. Enumerable.Range(0, features.Count)])
        {
            var drops = new double[repeats];
            for (var r = 0; r < repeats; r++)
            {
                var random = new Random(unchecked((seed * 397) ^ (f * 31) ^ r));
                var from = Enumerable.Range(0, rows.Count).ToArray();
                random.Shuffle(from);
                var value = score(rows.Permute(f, from));
                drops[r] = higherIsBetter ? baseline - value : value - baseline;
            }

            var mean = drops.Average();
            var std = repeats > 1 ? Math.Sqrt(drops.Sum(d => (d - mean) * (d - mean)) / (repeats - 1)) : 0;
            result.Add(new FeatureImportance(features[f], double.IsFinite(mean) ? mean : 0, double.IsFinite(std) ? std : 0));
        }

        return [.. result.OrderByDescending(i => i.Drop).ThenBy(i => i.Feature, StringComparer.Ordinal)];
    }
}
