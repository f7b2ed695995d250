using MathNet.Numerics.Statistics;

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
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToArray();
        var median = Quantile(sorted, 0.5);
        var deviations = sorted.Select(v => Math.Abs(v - median)).Order().ToArray();
        return new NumericStats(
            sorted.Length,
            sorted.Mean(),
            sorted.Length > 1 ? sorted.StandardDeviation() : 0,
            sorted[0],
            Quantile(sorted, 0.25),
            median,
            Quantile(sorted, 0.75),
            sorted[^1],
            Quantile(deviations, 0.5));
    }

    /// <summary>Quantile of sorted data with linear interpolation between order statistics (R type 7).</summary>
    public static double Quantile(double[] sorted, double tau) => SortedArrayStatistics.QuantileCustom(sorted, tau, QuantileDefinition.R7);

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
}
