using System.Text.Json.Serialization;

namespace MlLifecycle.Core.Monitoring;

[JsonConverter(typeof(JsonStringEnumConverter<FeatureKind>))]
public enum FeatureKind { Numeric, Categorical }

/// <summary>
/// What a baseline keeps of one feature's reference values to test later windows against, small enough to store as
/// JSON (at most about 1,000 numbers or 100 categories per feature, whatever the reference size).
/// </summary>
public sealed record FeatureProfile
{
    /// <summary>Points kept for a numeric feature unless told otherwise.</summary>
    public const int DefaultMaxPoints = 1000;

    /// <summary>Categories kept by name unless told otherwise; the rest are counted together as other.</summary>
    public const int DefaultMaxCategories = 100;

    public required string Feature { get; init; }

    public required FeatureKind Kind { get; init; }

    /// <summary>Reference rows, missing values included.</summary>
    public required long Rows { get; init; }

    /// <summary>Share of <see cref="Rows"/> without a value.</summary>
    public required double MissingRate { get; init; }

    /// <summary>The numbers' distribution; null for categories or when the reference had no value.</summary>
    public NumericProfile? Numeric { get; init; }

    /// <summary>The categories' frequencies; null for numbers or when the reference had no value.</summary>
    public CategoricalProfile? Categorical { get; init; }

    /// <summary>
    /// Profiles numbers; NaN and infinities count as missing. With at most <paramref name="maxPoints"/> distinct values
    /// the profile keeps every one with its count (<see cref="NumericProfile.Exact"/>). Otherwise it keeps the order
    /// statistics at the evenly spaced probabilities (j + ½)/maxPoints, j = 0 … maxPoints − 1 (the value of rank
    /// ⌊(j + ½)·n/maxPoints⌋), equal ones merged, each weighted by the slots it fills: the weighted empirical CDF of
    /// these points is then within 1/(2·maxPoints) of the reference's at every x. PSI bins and proportions, minimum and
    /// maximum come from all values.
    /// </summary>
    public static FeatureProfile FromNumbers(string feature, ReadOnlySpan<double> values, int maxPoints = DefaultMaxPoints, int psiBins = Psi.DefaultBins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 1);
        // The sorted copy is a pooled buffer: a baseline profiles a million rows of every feature, and a new array
        // each would pile up as garbage faster than the collector returns it.
        var (buffer, n) = Data.ColumnBuffers.SortedFinite(values);
        try
        {
            var sorted = buffer.AsSpan(0, n);
            var profile = new FeatureProfile
            {
                Feature = feature,
                Kind = FeatureKind.Numeric,
                Rows = values.Length,
                MissingRate = values.IsEmpty ? 0 : (double)(values.Length - n) / values.Length,
            };
            if (n == 0)
            {
                return profile;
            }

            List<double> points = [], weights = [];
            var exact = CountDistinct(sorted) <= maxPoints;
            for (long slot = 0, slots = exact ? n : maxPoints; slot < slots; slot++)
            {
                var value = exact ? sorted[(int)slot] : sorted[(int)((2 * slot + 1) * n / (2 * maxPoints))];
                if (points.Count > 0 && points[^1] == value)
                {
                    weights[^1]++;
                }
                else
                {
                    points.Add(value);
                    weights.Add(1);
                }
            }

            var edges = Psi.Edges(sorted, psiBins);
            return profile with
            {
                Numeric = new NumericProfile(n, sorted[0], sorted[^1], exact, points, weights, edges, Psi.Proportions(sorted, edges)),
            };
        }
        finally
        {
            Data.ColumnBuffers.Doubles.Return(buffer);
        }
    }

    /// <summary>
    /// Profiles categories (null or empty = missing, names compared ordinally): the <paramref name="maxCategories"/>
    /// most frequent with their counts (ties by name), the rest summed as <see cref="CategoricalProfile.Other"/>.
    /// </summary>
    public static FeatureProfile FromCategories(string feature, IEnumerable<string?> values, int maxCategories = DefaultMaxCategories)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCategories, 1);
        var (counts, count, missing) = CountCategories(values);
        var profile = new FeatureProfile
        {
            Feature = feature,
            Kind = FeatureKind.Categorical,
            Rows = count + missing,
            MissingRate = count + missing == 0 ? 0 : (double)missing / (count + missing),
        };
        if (count == 0)
        {
            return profile;
        }

        var kept = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(maxCategories)
            .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        return profile with { Categorical = new CategoricalProfile(count, kept, count - kept.Values.Sum()) };
    }

    internal static double[] Finite(ReadOnlySpan<double> values)
    {
        var finite = new double[values.Length];
        var n = 0;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                finite[n++] = v;
            }
        }

        return n == finite.Length ? finite : finite[..n];
    }

    internal static (Dictionary<string, long> Counts, long Count, long Missing) CountCategories(IEnumerable<string?> values)
    {
        Dictionary<string, long> counts = new(StringComparer.Ordinal);
        long count = 0, missing = 0;
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value))
            {
                missing++;
                continue;
            }

            counts[value] = counts.GetValueOrDefault(value) + 1;
            count++;
        }

        return (counts, count, missing);
    }

    private static int CountDistinct(ReadOnlySpan<double> sorted)
    {
        var distinct = 1;
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i] != sorted[i - 1])
            {
                distinct++;
            }
        }

        return distinct;
    }
}

/// <summary>A numeric feature's reference distribution.</summary>
/// <param name="Count">Reference values (missing ones excluded).</param>
/// <param name="Exact">True when <paramref name="Points"/> are every distinct reference value and <paramref name="Weights"/> their counts, so tests on the profile equal tests on the raw values.</param>
/// <param name="Points">Ascending distinct values (see <see cref="FeatureProfile.FromNumbers"/>).</param>
/// <param name="Weights">How many reference values (exact) or quantile slots each point stands for.</param>
/// <param name="PsiEdges">Interior bin edges of <see cref="Psi"/> (reference quantiles).</param>
/// <param name="PsiProportions">Share of the reference values in each of the <c>PsiEdges.Count + 1</c> bins.</param>
public sealed record NumericProfile(
    long Count,
    double Min,
    double Max,
    bool Exact,
    IReadOnlyList<double> Points,
    IReadOnlyList<double> Weights,
    IReadOnlyList<double> PsiEdges,
    IReadOnlyList<double> PsiProportions);

/// <summary>A categorical feature's reference frequencies.</summary>
/// <param name="Count">Reference values (missing ones excluded).</param>
/// <param name="Counts">The most frequent categories and their counts.</param>
/// <param name="Other">Values of every other category together (0 when <paramref name="Counts"/> names every category).</param>
public sealed record CategoricalProfile(long Count, IReadOnlyDictionary<string, long> Counts, long Other);
