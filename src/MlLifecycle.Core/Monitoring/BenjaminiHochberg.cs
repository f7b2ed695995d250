namespace MlLifecycle.Core.Monitoring;

/// <summary>The Benjamini–Hochberg step-up procedure, which controls the false discovery rate across many tests.</summary>
public static class BenjaminiHochberg
{
    /// <summary>
    /// Adjusted p-values in the input order: with p₍ᵢ₎ the i-th smallest of m, adjusted p₍ᵢ₎ = min over j ≥ i of
    /// p₍ⱼ₎·m/j, capped at 1 — <c>scipy.stats.false_discovery_control(p, method='bh')</c>. Rejecting every test whose
    /// adjusted p-value is at most α keeps the expected share of false rejections at most α (independent or
    /// positively dependent tests).
    /// </summary>
    public static double[] Adjust(IReadOnlyList<double> pValues)
    {
        var m = pValues.Count;
        if (pValues.Any(p => double.IsNaN(p) || p < 0 || p > 1))
        {
            throw new ArgumentException("p-values must lie in [0, 1].", nameof(pValues));
        }

        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        var running = 1.0;
        for (var rank = m; rank >= 1; rank--)
        {
            var i = order[rank - 1];
            running = Math.Min(running, pValues[i] * m / rank);
            adjusted[i] = running;
        }

        return adjusted;
    }
}
