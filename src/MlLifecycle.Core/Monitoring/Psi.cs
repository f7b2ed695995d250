using MathNet.Numerics.Statistics;

namespace MlLifecycle.Core.Monitoring;

/// <summary>
/// The population stability index over reference-quantile bins. Binning: the edges are the distinct reference
/// quantiles at 1/b, 2/b, …, (b−1)/b (b = 10 by default: deciles; linear interpolation between order statistics, R
/// type 7 = numpy's default), so the reference falls about 1/b into each bin; bin 0 is everything below the first
/// edge, bin i holds edge[i−1] ≤ x &lt; edge[i], the last bin everything from the last edge up, whatever the range of
/// later data. Ties at a quantile (discrete values) merge edges, so there may be fewer than b bins.
/// </summary>
public static class Psi
{
    /// <summary>Proportion that stands in for an empty bin (on either side), so that ln(a/e) stays finite: 1e-4. Proportions are not renormalized.</summary>
    public const double Epsilon = 1e-4;

    /// <summary>Bins of <see cref="Edges"/> unless told otherwise.</summary>
    public const int DefaultBins = 10;

    /// <summary>Distinct interior quantile edges of an ascending, non-empty reference sample (at most <paramref name="bins"/> − 1 of them).</summary>
    public static double[] Edges(ReadOnlySpan<double> sortedReference, int bins = DefaultBins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        ArgumentOutOfRangeException.ThrowIfZero(sortedReference.Length);
        List<double> edges = [];
        for (var i = 1; i < bins; i++)
        {
            var edge = QuantileR7(sortedReference, i / (double)bins);
            if (!edges.Contains(edge))
            {
                edges.Add(edge);
            }
        }

        return [.. edges];
    }

    /// <summary>The R7 quantile (linear between order statistics) of an ascending sample, computed as MathNet.Numerics's <c>SortedArrayStatistics.QuantileCustom</c> does for 0 &lt; τ &lt; 1.</summary>
    internal static double QuantileR7(ReadOnlySpan<double> sorted, double tau)
    {
        var h = ((sorted.Length - 1) * tau) + 1d;
        var hf = (int)h;
        var lower = sorted[Math.Max(hf - 1, 0)];
        var upper = sorted[Math.Min(hf, sorted.Length - 1)];
        return lower + ((h - hf) * (upper - lower));
    }

    /// <summary>Share of an ascending, non-empty sample in each of the <c>edges.Length + 1</c> bins.</summary>
    public static double[] Proportions(ReadOnlySpan<double> sortedValues, IReadOnlyList<double> edges)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sortedValues.Length);
        var shares = new double[edges.Count + 1];
        var below = 0;
        for (var i = 0; i < edges.Count; i++)
        {
            var upTo = SortedSearch.CountBelow(sortedValues, edges[i]);
            shares[i] = (double)(upTo - below) / sortedValues.Length;
            below = upTo;
        }

        shares[^1] = (double)(sortedValues.Length - below) / sortedValues.Length;
        return shares;
    }

    /// <summary>PSI = Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ) of expected (reference) and actual (current) bin proportions, a zero proportion counted as <paramref name="epsilon"/>. Below 0.1 is usually read as stable, 0.1–0.2 as a moderate shift, above 0.2 as a major one.</summary>
    public static double Index(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double epsilon = Epsilon)
    {
        if (expected.Length != actual.Length)
        {
            throw new ArgumentException("Both sides need the same bins.", nameof(actual));
        }

        var psi = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var e = expected[i] == 0 ? epsilon : expected[i];
            var a = actual[i] == 0 ? epsilon : actual[i];
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }

    /// <summary>PSI of two samples in any order with <paramref name="bins"/> reference-quantile bins (sorted copies are made).</summary>
    public static double Compute(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, int bins = DefaultBins)
    {
        var sortedReference = reference.ToArray();
        var sortedCurrent = current.ToArray();
        Array.Sort(sortedReference);
        Array.Sort(sortedCurrent);
        var edges = Edges(sortedReference, bins);
        return Index(Proportions(sortedReference, edges), Proportions(sortedCurrent, edges));
    }
}
