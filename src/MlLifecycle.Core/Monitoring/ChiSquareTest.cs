using MathNet.Numerics;

namespace MlLifecycle.Core.Monitoring;

/// <summary>
/// Pearson's chi-square test of homogeneity of two count vectors over the same categories: the 2×k contingency table
/// [reference; current], matching <c>scipy.stats.chi2_contingency(table)</c> with its defaults. Categories absent from
/// both rows are dropped first (scipy rejects a zero expected count). With two categories left (1 degree of freedom)
/// scipy's default Yates continuity correction applies, and so it does here; with more it does not exist.
/// </summary>
public static class ChiSquareTest
{
    /// <summary>
    /// Statistic Σ (O − E)²/E with E = row total × column total / grand total, and its upper-tail p-value with k − 1
    /// degrees of freedom — the chi-square survival function, MathNet's regularized upper incomplete gamma Q(k/2, x/2)
    /// (what 1 − <c>ChiSquared.CDF</c> computes, without losing p-values below 1e-16). Statistic 0 and p-value 1 when
    /// fewer than two categories remain or a row is empty.
    /// </summary>
    public static TestResult Homogeneity(ReadOnlySpan<double> reference, ReadOnlySpan<double> current)
    {
        if (reference.Length != current.Length)
        {
            throw new ArgumentException("Both rows need the same categories.", nameof(current));
        }

        List<(double Reference, double Current)> columns = [];
        for (var i = 0; i < reference.Length; i++)
        {
            if (reference[i] < 0 || current[i] < 0)
            {
                throw new ArgumentException("Counts must not be negative.");
            }

            if (reference[i] + current[i] > 0)
            {
                columns.Add((reference[i], current[i]));
            }
        }

        var referenceTotal = columns.Sum(c => c.Reference);
        var currentTotal = columns.Sum(c => c.Current);
        if (columns.Count < 2 || referenceTotal == 0 || currentTotal == 0)
        {
            return new TestResult(0, 1);
        }

        var total = referenceTotal + currentTotal;
        var yates = columns.Count == 2;
        var statistic = 0.0;
        foreach (var (observedRef, observedCur) in columns)
        {
            var columnTotal = observedRef + observedCur;
            statistic += Term(observedRef, referenceTotal * columnTotal / total, yates)
                + Term(observedCur, currentTotal * columnTotal / total, yates);
        }

        return new TestResult(statistic, SpecialFunctions.GammaUpperRegularized((columns.Count - 1) / 2.0, statistic / 2));
    }

    private static double Term(double observed, double expected, bool yates)
    {
        var difference = Math.Abs(observed - expected);
        if (yates)
        {
            difference -= Math.Min(0.5, difference);
        }

        return difference * difference / expected;
    }
}
