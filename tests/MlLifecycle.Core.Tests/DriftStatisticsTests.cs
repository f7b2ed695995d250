using MlLifecycle.Core.Monitoring;

namespace MlLifecycle.Core.Tests;

// Expected values come from scipy 1.10.1 / numpy 1.24.2: drift_reference.py next to this file prints each of them.
public class DriftStatisticsTests
{
    private const double Tolerance = 1e-9;

    private static readonly double[] A =
        [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47];

    private static readonly double[] B = [2.2, 1.66, 1.38, 0.2, 0.36, 0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, 1.25, 1.12, 0.82, 1.2];

    private static readonly double[] TiesA = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6];

    private static readonly double[] TiesB = [2, 3, 3, 4, 4, 4, 4, 5, 6, 7, 7, 8];

    [Fact]
    public void KsTwoSample_UnequalSizesAuto_MatchesScipyExact()
    {
        var r = KolmogorovSmirnov.TwoSample(A, B);

        Assert.Equal(0.44222222222222224, r.Statistic, Tolerance);
        Assert.Equal(0.022593112239444855, r.PValue, Tolerance);
    }

    [Fact]
    public void KsTwoSample_UnequalSizesAsymptotic_MatchesScipyAsymp()
    {
        var r = KolmogorovSmirnov.TwoSample(A, B, KsMethod.Asymptotic);

        Assert.Equal(0.4422222222222222, r.Statistic, Tolerance);
        Assert.Equal(0.02674751949380394, r.PValue, Tolerance);
    }

    [Fact]
    public void KsTwoSample_Ties_MatchesScipyExactAndAsymp()
    {
        var exact = KolmogorovSmirnov.TwoSample(TiesA, TiesB, KsMethod.Exact);
        var asymptotic = KolmogorovSmirnov.TwoSample(TiesA, TiesB, KsMethod.Asymptotic);

        Assert.Equal(0.35, exact.Statistic, Tolerance);
        Assert.Equal(0.39722197307336626, exact.PValue, Tolerance);
        Assert.Equal(0.46975, asymptotic.PValue, Tolerance);
    }

    [Fact]
    public void KsTwoSample_EqualSizes_MatchesScipyExact()
    {
        var r = KolmogorovSmirnov.TwoSample(A.AsSpan(0, 10), B.AsSpan(0, 10), KsMethod.Exact);

        Assert.Equal(0.5, r.Statistic, Tolerance);
        Assert.Equal(0.16782134274394334, r.PValue, Tolerance);
    }

    [Theory]
    [InlineData(KsMethod.Exact)]
    [InlineData(KsMethod.Asymptotic)]
    public void KsTwoSample_IdenticalSamples_StatisticZeroPValueOne(KsMethod method)
    {
        var r = KolmogorovSmirnov.TwoSample(A, A, method);

        Assert.Equal(0, r.Statistic);
        Assert.Equal(1, r.PValue);
    }

    [Fact]
    public void KsTwoSample_DisjointSamples_StatisticOneAndExactPValue()
    {
        var unequal = KolmogorovSmirnov.TwoSample([1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11, 12]);
        var equal = KolmogorovSmirnov.TwoSample([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);

        Assert.Equal(1, unequal.Statistic);
        Assert.Equal(0.0025252525252525255, unequal.PValue, Tolerance);    // 2 / C(12, 5)
        Assert.Equal(1, equal.Statistic);
        Assert.Equal(0.007936507936507936, equal.PValue, Tolerance);       // 2 / C(10, 5)
    }

    [Theory]
    [InlineData(10, 0.08, 0.9999978058034054)]        // n·x ≤ 1 (Ruben–Gambino)
    [InlineData(10, 0.95, 1.9531250000000172e-13)]    // n·x ≥ n − 1
    [InlineData(10, 0.6, 0.0005681672000000003)]      // x ≥ 0.5: 2 × Smirnov
    [InlineData(50, 0.1, 0.6623112704658186)]         // n ≤ 140, small n·x²: Durbin matrix
    [InlineData(100, 0.15, 0.019839242125643017)]     // n ≤ 140, n·x² ≤ 4: Durbin (scipy: Pomeranz)
    [InlineData(100, 0.25, 5.408871776434847e-06)]    // n ≤ 140, n·x² > 4: 2 × Smirnov
    [InlineData(1000, 0.005, 1.0)]                    // n > 140, n·x^1.5 ≤ 1.4: Durbin
    [InlineData(1000, 0.03, 0.3226902143914636)]      // Pelz–Good
    [InlineData(1000, 0.06, 0.001428597887952891)]    // n·x² ≥ 2.2: 2 × Smirnov
    [InlineData(500000, 0.001, 0.6989801443663661)]   // n > 100,000: Pelz–Good
    [InlineData(500000, 0.03, 0.0)]                   // n·x² ≥ 370
    public void KsPValue_AsymptoticRegimes_MatchScipyKstwo(int n, double x, double expected)
    {
        // Two samples of 2n each have n₁n₂/(n₁+n₂) = n.
        Assert.Equal(expected, KolmogorovSmirnov.PValue(x, 2L * n, 2L * n, KsMethod.Asymptotic), Tolerance);
    }

    [Theory]
    [InlineData(0.05, 3000, 4500, 0.00024047940724423498)]
    [InlineData(0.02, 10000, 10000, 0.03662861114079258)]
    public void KsPValue_LargeExact_MatchesScipy(double d, long n1, long n2, double expected)
    {
        Assert.Equal(expected, KolmogorovSmirnov.PValue(d, n1, n2, KsMethod.Exact), Tolerance);
    }

    [Fact]
    public void KsPValue_Auto_ExactUpToTenThousandThenAsymptotic()
    {
        Assert.Equal(KolmogorovSmirnov.PValue(0.1, 10_000, 300, KsMethod.Exact), KolmogorovSmirnov.PValue(0.1, 10_000, 300));
        Assert.Equal(KolmogorovSmirnov.PValue(0.1, 10_001, 300, KsMethod.Asymptotic), KolmogorovSmirnov.PValue(0.1, 10_001, 300));
        Assert.NotEqual(KolmogorovSmirnov.PValue(0.1, 10_001, 300, KsMethod.Exact), KolmogorovSmirnov.PValue(0.1, 10_001, 300));
    }

    [Fact]
    public void KsStatistic_WeightedCounts_EqualsExpandedSample()
    {
        double[] values = [1, 2, 3, 5];
        double[] counts = [1, 2, 3, 4];
        var expanded = values.SelectMany((v, i) => Enumerable.Repeat(v, (int)counts[i])).ToArray();
        double[] other = [0.5, 2, 2, 4, 5, 6];

        Assert.Equal(KolmogorovSmirnov.Statistic(expanded, other), KolmogorovSmirnov.Statistic(values, counts, other));
    }

    [Fact]
    public void KsTwoSample_MissingValue_Throws()
    {
        Assert.Throws<ArgumentException>(() => KolmogorovSmirnov.TwoSample([1, double.NaN], [1, 2]));
    }

    [Fact]
    public void ChiSquare_ThreeCategories_MatchesScipyContingency()
    {
        var r = ChiSquareTest.Homogeneity([30, 50, 20], [10, 25, 15]);

        Assert.Equal(2.6785714285714284, r.Statistic, Tolerance);
        Assert.Equal(0.262032768014012, r.PValue, Tolerance);
    }

    [Fact]
    public void ChiSquare_TwoCategories_AppliesYatesLikeScipy()
    {
        var r = ChiSquareTest.Homogeneity([40, 60], [30, 20]);

        Assert.Equal(4.583705357142858, r.Statistic, Tolerance);
        Assert.Equal(0.03227734609479707, r.PValue, Tolerance);
    }

    [Fact]
    public void ChiSquare_CategoryEmptyInBothRows_IsDropped()
    {
        // scipy rejects a zero expected count; on the table without that column it gives these values.
        var r = ChiSquareTest.Homogeneity([10, 0, 5], [3, 0, 7]);

        Assert.Equal(1.929754273504274, r.Statistic, Tolerance);
        Assert.Equal(0.16478533111284455, r.PValue, Tolerance);
    }

    [Fact]
    public void ChiSquare_SameProportions_StatisticZeroPValueOne()
    {
        var r = ChiSquareTest.Homogeneity([10, 20, 30], [20, 40, 60]);

        Assert.Equal(0, r.Statistic, Tolerance);
        Assert.Equal(1, r.PValue, Tolerance);
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.4, 0.5 }, new[] { 0.3, 0.3, 0.4 }, 0.21663402449519675)]
    [InlineData(new[] { 0.5, 0.5, 0 }, new[] { 0, 0.5, 0.5 }, 0.7071067811865476)]
    [InlineData(new double[] { 1, 2, 3 }, new double[] { 3, 2, 1 }, 0.354703515198132)]  // counts are normalized
    [InlineData(new double[] { 1, 0 }, new double[] { 0, 1 }, 1.0)]                      // disjoint: 1 bit
    [InlineData(new double[] { 2, 3 }, new double[] { 4, 6 }, 0.0)]
    public void JensenShannon_Distributions_MatchScipyBase2(double[] p, double[] q, double expected)
    {
        Assert.Equal(expected, JensenShannon.Distance(p, q), Tolerance);
    }

    [Fact]
    public void Wasserstein_ShiftedSamples_IsTheShift()
    {
        Assert.Equal(5, Wasserstein.Distance([0, 1, 3], [5, 6, 8]), Tolerance);
    }

    [Fact]
    public void Wasserstein_Weights_MatchScipy()
    {
        Assert.Equal(4.078133143804786, Wasserstein.Distance([3.4, 3.9, 7.5, 7.8], [4.5, 1.4], [1.4, 0.9, 3.1, 7.2], [3.2, 3.5]), Tolerance);
        Assert.Equal(0.55, Wasserstein.Distance([1, 1, 2, 2, 3], [1, 2, 2, 2, 4], [1, 2, 1, 1, 3]), Tolerance);
    }

    [Fact]
    public void BenjaminiHochberg_TextbookExample_RejectsFirstFourAtFivePercent()
    {
        // Benjamini & Hochberg (1995), section 4: 15 p-values from a clinical trial.
        double[] p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0];
        double[] scipy = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.06385714285714286, 0.06385714285714286, 0.0645, 0.07650000000000001, 0.486, 0.5811818181818181, 0.7148749999999999, 0.7532307692307693, 0.8132142857142857, 1.0];

        var adjusted = BenjaminiHochberg.Adjust(p);

        Assert.Equal(scipy, adjusted, (x, y) => Math.Abs(x - y) <= Tolerance);
        Assert.Equal(4, adjusted.Count(q => q <= 0.05));
    }

    [Fact]
    public void BenjaminiHochberg_TiesAndInputOrder_MatchScipy()
    {
        double[] scipy = [0.05, 0.05, 0.05, 0.05, 0.5];

        Assert.Equal(scipy, BenjaminiHochberg.Adjust([0.04, 0.01, 0.04, 0.03, 0.5]), (x, y) => Math.Abs(x - y) <= Tolerance);
    }

    [Fact]
    public void PsiIndex_HandComputed_MatchesFormula()
    {
        // (0.25 − 0.5)·ln(0.25/0.5) + (0.75 − 0.5)·ln(0.75/0.5) = 0.25·ln 2 + 0.25·ln 1.5 = 0.25·ln 3
        Assert.Equal(0.25 * Math.Log(3), Psi.Index([0.5, 0.5], [0.25, 0.75]), 12);
    }

    [Fact]
    public void PsiIndex_EmptyBin_CountsAsEpsilon()
    {
        // Third bin empty in the reference: it counts as 1e-4, so (0.2 − 1e-4)·ln(0.2/1e-4) = 0.1999·ln 2000 ≈ 1.51942,
        // plus 2 × (0.4 − 0.5)·ln(0.8) ≈ 0.04463: 1.56405.
        var expected = 2 * (0.4 - 0.5) * Math.Log(0.4 / 0.5) + (0.2 - 1e-4) * Math.Log(0.2 / 1e-4);

        Assert.Equal(1e-4, Psi.Epsilon);
        Assert.Equal(expected, Psi.Index([0.5, 0.5, 0], [0.4, 0.4, 0.2]), 12);
        Assert.Equal(1.564049, Psi.Index([0.5, 0.5, 0], [0.4, 0.4, 0.2]), 6);
    }

    [Fact]
    public void Psi_DecileBinsWithTies_MatchNumpy()
    {
        double[] reference = [1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 5, 6, 7, 8, 9, 9, 10, 12, 15];
        double[] current = [2, 3, 3, 4, 5, 6, 6, 7, 9, 11, 12, 13, 15, 16];

        var edges = Psi.Edges(reference);
        var referenceShares = Psi.Proportions(reference, edges);
        var currentShares = Psi.Proportions(current, edges);

        Assert.Equal([1.0, 2.0, 3.0, 4.5, 5.4, 7.299999999999999, 9.0, 10.200000000000003], edges, (x, y) => Math.Abs(x - y) <= Tolerance);
        Assert.Equal([0.0, 0.15, 0.1, 0.25, 0.1, 0.1, 0.05, 0.15, 0.1], referenceShares, (x, y) => Math.Abs(x - y) <= Tolerance);
        Assert.Equal([0.0, 0.0, 0.07142857142857142, 0.21428571428571427, 0.07142857142857142, 0.21428571428571427, 0.0, 0.07142857142857142, 0.35714285714285715], currentShares, (x, y) => Math.Abs(x - y) <= Tolerance);
        Assert.Equal(1.9038238747514138, Psi.Compute(reference, current), Tolerance);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(65_537)]
    public void Psi_Edges_AreMathNetsR7QuantilesToTheBit(int size)
    {
        var random = new Random(size);
        var sorted = Enumerable.Range(0, size).Select(_ => Math.Round(random.NextDouble() * 50, random.Next(4))).Order().ToArray();

        var edges = Psi.Edges(sorted);

        var expected = Enumerable.Range(1, 9).Select(i => MathNet.Numerics.Statistics.SortedArrayStatistics.QuantileCustom(sorted, i / 10.0, MathNet.Numerics.Statistics.QuantileDefinition.R7)).Distinct().ToArray();
        Assert.Equal(expected, edges);
    }
}
