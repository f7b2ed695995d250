using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Training;

/// <summary>
/// Imputation, clipping and scaling of one numeric model column, with every statistic fitted on training rows
/// only. Saved in the model as an ML.NET expression, so serving applies exactly the same arithmetic.
/// </summary>
/// <param name="Column">Model input column (e.g. <c>f3</c> or <c>f5_month</c>).</param>
/// <param name="Fill">Value replacing a missing cell.</param>
/// <param name="Lower">Clip floor (winsorizing), or null.</param>
/// <param name="Upper">Clip ceiling, or null.</param>
/// <param name="Shift">Subtracted after clipping (0 = no scaling).</param>
/// <param name="Scale">Divisor after shifting (1 = no scaling).</param>
/// <param name="Indicator">Whether a 0/1 "was missing" input goes next to the column.</param>
public sealed record NumericTransform(string Column, double Fill, double? Lower, double? Upper, double Shift, double Scale, bool Indicator = false)
{
    public static NumericTransform Fit(string column, IReadOnlyList<float> trainingValues, CleaningSpec cleaning) =>
        Fit(column, [.. trainingValues], cleaning);

    /// <summary>
    /// Fits on the training values, sorted once in a pooled buffer: every statistic (median, quartiles, mean, MAD,
    /// mode) reads that one sorted copy, and clipping keeps it sorted.
    /// </summary>
    public static NumericTransform Fit(string column, ReadOnlySpan<float> trainingValues, CleaningSpec cleaning)
    {
        var (buffer, count) = ColumnBuffers.SortedFinite(trainingValues);
        try
        {
            var values = buffer.AsSpan(0, count);
            if (NumericStats.OfSorted(values) is not { } stats)
            {
                return new NumericTransform(column, cleaning.NumericImputation == NumericImputation.Constant ? cleaning.FillValue : 0, null, null, 0, 1);
            }

            var fill = cleaning.NumericImputation switch
            {
                NumericImputation.Mean => stats.Mean,
                NumericImputation.Mode => Mode(values),
                NumericImputation.Constant => cleaning.FillValue,
                _ => stats.Median,
            };
            double? lower = null, upper = null;
            if (cleaning.Outliers == OutlierPolicy.Clip && stats.Fences(cleaning.OutlierMethod) is var (lo, hi) && lo < hi)
            {
                (lower, upper) = (lo, hi);
                foreach (ref var v in values)
                {
                    v = Math.Clamp(v, lo, hi); // monotone: the values stay sorted
                }
            }

            var scaled = lower is null ? stats : NumericStats.OfSorted(values)!;
            var (shift, scale) = cleaning.Scaling switch
            {
                Scaling.Standard => (scaled.Mean, scaled.Std),
                Scaling.MinMax => (scaled.Min, scaled.Max - scaled.Min),
                Scaling.Robust => (scaled.Median, scaled.Iqr),
                _ => (0.0, 1.0),
            };
            return new NumericTransform(column, fill, lower, upper, shift, scale == 0 ? 1 : scale);
        }
        finally
        {
            ColumnBuffers.Doubles.Return(buffer);
        }
    }

    /// <summary>The most frequent of sorted values (the smallest on a tie).</summary>
    private static double Mode(ReadOnlySpan<double> sorted)
    {
        var (best, bestCount, run) = (sorted[0], 0, 0);
        for (var i = 0; i < sorted.Length; i++)
        {
            run = i > 0 && sorted[i] == sorted[i - 1] ? run + 1 : 1;
            if (run > bestCount)
            {
                (best, bestCount) = (sorted[i], run);
            }
        }

        return best;
    }

    /// <summary>Applies the transform to one value (what the saved expression computes).</summary>
    public double Apply(double value)
    {
        var x = double.IsFinite(value) ? value : Fill;
        x = Math.Clamp(x, Lower ?? double.MinValue, Upper ?? double.MaxValue);
        return (x - Shift) / Scale;
    }

    /// <summary>The ML.NET expression, e.g. <c>x => ((isna(x) ? 3.5 : (x &lt; 1 ? 1 : (x &gt; 9 ? 9 : x))) - 0) / 1</c>.</summary>
    public string ToExpression()
    {
        var value = "x";
        if (Lower is { } lower && Upper is { } upper)
        {
            value = $"(x < {F(lower)} ? {F(lower)} : (x > {F(upper)} ? {F(upper)} : x))";
        }

        var body = $"(isna(x) ? {F(Math.Clamp(Fill, Lower ?? double.MinValue, Upper ?? double.MaxValue))} : {value})";
        return Shift == 0 && Scale == 1 ? $"x => {body}" : $"x => ({body} - {F(Shift)}) / {F(Scale)}";
    }

    private static string F(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture);
}
