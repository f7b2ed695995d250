namespace MlLifecycle.Core.Data;

/// <summary>Summary statistics of a numeric column (missing values excluded).</summary>
/// <param name="Std">Sample standard deviation (n − 1).</param>
/// <param name="Q1">First quartile (linear interpolation, as numpy and Excel).</param>
/// <param name="Mad">Median absolute deviation from the median (unscaled).</param>
public sealed record NumericStats(int Count, double Mean, double Std, double Min, double Q1, double Median, double Q3, double Max, double Mad)
{
    public double Iqr => Q3 - Q1;

    public static NumericStats? Of(IReadOnlyCollection<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return OfSorted(sorted);
    }

    /// <summary>
    /// The statistics of sorted values, read in place: the values of a million-row column are held once, not copied
    /// or sorted again per statistic.
    /// </summary>
    public static NumericStats? OfSorted(ReadOnlySpan<double> sorted)
    {
        if (sorted.IsEmpty)
        {
            return null;
        }

        double sum = 0;
        foreach (var x in sorted)
        {
            sum += x;
        }

        var mean = sum / sorted.Length;
        double squares = 0;
        foreach (var x in sorted)
        {
            squares += (x - mean) * (x - mean);
        }

        var median = Quantile(sorted, 0.5);
        return new NumericStats(
            sorted.Length,
            mean,
            sorted.Length > 1 ? Math.Sqrt(squares / (sorted.Length - 1)) : 0,
            sorted[0],
            Quantile(sorted, 0.25),
            median,
            Quantile(sorted, 0.75),
            sorted[^1],
            MedianDeviation(sorted, median));
    }

    /// <summary>
    /// The median of |x − median| over sorted values, without sorting the deviations: those below the median grow
    /// walking down from it, those above walking up, so the two sorted runs are merged up to their middle.
    /// </summary>
    private static double MedianDeviation(ReadOnlySpan<double> sorted, double median)
    {
        var h = (sorted.Length - 1) * 0.5;
        var lower = (int)Math.Floor(h);
        var found = sorted.BinarySearch(median);
        var up = found >= 0 ? found : ~found;
        var down = up - 1;
        double at = 0, next = 0;
        for (var k = 0; k <= lower + 1 && k < sorted.Length; k++)
        {
            var fromBelow = down >= 0 ? median - sorted[down] : double.PositiveInfinity;
            var fromAbove = up < sorted.Length ? sorted[up] - median : double.PositiveInfinity;
            var d = fromBelow <= fromAbove ? fromBelow : fromAbove;
            (down, up) = fromBelow <= fromAbove ? (down - 1, up) : (down, up + 1);
            (at, next) = k == lower ? (d, d) : (at, d);
        }

        return at + ((h - lower) * (next - at));
    }

    /// <summary>Quantile of sorted data with linear interpolation between order statistics (R type 7, as numpy).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double tau)
    {
        var h = (sorted.Length - 1) * tau;
        var lower = (int)Math.Floor(h);
        return lower + 1 < sorted.Length ? sorted[lower] + ((h - lower) * (sorted[lower + 1] - sorted[lower])) : sorted[lower];
    }

    /// <summary>Values outside the fences of a method: Tukey's 1.5·IQR, |z| &gt; 3, or modified z (0.6745·|x−median|/MAD) &gt; 3.5.</summary>
    public (double Lower, double Upper) Fences(Spec.OutlierMethod method) => method switch
    {
        Spec.OutlierMethod.ZScore => (Mean - 3 * Std, Mean + 3 * Std),
        Spec.OutlierMethod.Mad => (Median - 3.5 * Mad / 0.6745, Median + 3.5 * Mad / 0.6745),
        _ => (Q1 - 1.5 * Iqr, Q3 + 1.5 * Iqr),
    };

    public int CountOutliers(IEnumerable<double> values, Spec.OutlierMethod method)
    {
        var (lower, upper) = Fences(method);
        return lower == upper ? 0 : values.Count(v => v < lower || v > upper);
    }

    /// <summary>Outliers of sorted values: the values below the lower fence and above the upper one, found by binary search.</summary>
    public int CountOutliers(ReadOnlySpan<double> sorted, Spec.OutlierMethod method)
    {
        var (lower, upper) = Fences(method);
        if (lower == upper)
        {
            return 0;
        }

        var below = 0;
        while (below < sorted.Length && sorted[below] < lower)
        {
            below++;
        }

        var above = 0;
        while (above < sorted.Length - below && sorted[sorted.Length - 1 - above] > upper)
        {
            above++;
        }

        return below + above;
    }
}
