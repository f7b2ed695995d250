namespace MlLifecycle.Core.Monitoring;

/// <summary>The Jensen–Shannon distance between two discrete distributions.</summary>
public static class JensenShannon
{
    /// <summary>
    /// √((KL(p‖m) + KL(q‖m)) / 2) with m = (p + q)/2, in bits (base 2), so 0 for equal distributions and 1 for
    /// disjoint ones — <c>scipy.spatial.distance.jensenshannon(p, q, base=2)</c>. Both vectors are normalized to sum 1
    /// first, so counts may be passed as they are.
    /// </summary>
    public static double Distance(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length)
        {
            throw new ArgumentException("Both distributions need the same categories.", nameof(q));
        }

        double sumP = 0, sumQ = 0;
        for (var i = 0; i < p.Length; i++)
        {
            sumP += p[i];
            sumQ += q[i];
        }

        var divergence = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            double pi = p[i] / sumP, qi = q[i] / sumQ, mi = (pi + qi) / 2;
            divergence += RelativeEntropy(pi, mi) + RelativeEntropy(qi, mi);
        }

        return Math.Sqrt(divergence / Math.Log(2) / 2);
    }

    private static double RelativeEntropy(double x, double y) => x > 0 ? x * Math.Log(x / y) : 0;
}
