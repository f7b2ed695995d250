namespace MlLifecycle.Core.Monitoring;

/// <summary>The first Wasserstein (earth mover's) distance between two one-dimensional distributions.</summary>
public static class Wasserstein
{
    /// <summary>
    /// W₁ = ∫ |U(x) − V(x)| dx between the (weighted) empirical CDFs of <paramref name="u"/> and <paramref name="v"/>, in
    /// the values' units — <c>scipy.stats.wasserstein_distance(u, v, uWeights, vWeights)</c>. Empty weights mean one
    /// per value; weights need not sum to 1. Values in any order (sorted copies are made).
    /// </summary>
    public static double Distance(ReadOnlySpan<double> u, ReadOnlySpan<double> v, ReadOnlySpan<double> uWeights = default, ReadOnlySpan<double> vWeights = default)
    {
        var (su, wu) = SortWithWeights(u, uWeights);
        var (sv, wv) = SortWithWeights(v, vWeights);
        return DistanceSorted(su, wu, sv, wv);
    }

    /// <summary>As <see cref="Distance"/> for ascending values, by one merge walk; empty weights mean one per value.</summary>
    public static double DistanceSorted(ReadOnlySpan<double> sortedU, ReadOnlySpan<double> uWeights, ReadOnlySpan<double> sortedV, ReadOnlySpan<double> vWeights)
    {
        var totalU = Total(sortedU, uWeights);
        var totalV = Total(sortedV, vWeights);
        double cumulativeU = 0, cumulativeV = 0, distance = 0, previous = Math.Min(sortedU[0], sortedV[0]);
        int i = 0, j = 0;
        while (i < sortedU.Length || j < sortedV.Length)
        {
            var x = Math.Min(i < sortedU.Length ? sortedU[i] : double.PositiveInfinity, j < sortedV.Length ? sortedV[j] : double.PositiveInfinity);
            distance += Math.Abs(cumulativeU / totalU - cumulativeV / totalV) * (x - previous);
            while (i < sortedU.Length && sortedU[i] <= x)
            {
                cumulativeU += uWeights.IsEmpty ? 1 : uWeights[i];
                i++;
            }

            while (j < sortedV.Length && sortedV[j] <= x)
            {
                cumulativeV += vWeights.IsEmpty ? 1 : vWeights[j];
                j++;
            }

            previous = x;
        }

        return distance;
    }

    private static double Total(ReadOnlySpan<double> values, ReadOnlySpan<double> weights)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("A distribution needs at least one value.");
        }

        if (weights.IsEmpty)
        {
            return values.Length;
        }

        if (weights.Length != values.Length)
        {
            throw new ArgumentException("One weight per value is needed.");
        }

        var total = 0.0;
        foreach (var w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w))
            {
                throw new ArgumentException("Weights must be finite and not negative.");
            }

            total += w;
        }

        return total > 0 ? total : throw new ArgumentException("Weights must not all be zero.");
    }

    private static (double[] Values, double[] Weights) SortWithWeights(ReadOnlySpan<double> values, ReadOnlySpan<double> weights)
    {
        var sorted = values.ToArray();
        var sortedWeights = weights.ToArray();
        if (sortedWeights.Length == sorted.Length)
        {
            Array.Sort(sorted, sortedWeights);
        }
        else
        {
            Array.Sort(sorted);
        }

        return (sorted, sortedWeights);
    }
}
