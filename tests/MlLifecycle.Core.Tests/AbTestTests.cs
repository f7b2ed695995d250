using MathNet.Numerics.Distributions;
using MlLifecycle.Core.Experiments;

namespace MlLifecycle.Core.Tests;

public class AbTestTests
{
    private static readonly AbTestOptions Defaults = new();

    private static RunningStats Outcomes(int correct, int wrong) => RunningStats.Of(Enumerable.Repeat(1.0, correct).Concat(Enumerable.Repeat(0.0, wrong)));

    [Fact]
    public void Observe_BelowMinimumSample_ContinuesWhateverTheData()
    {
        var test = AbTest.Empty.Observe(Outcomes(99, 0), Outcomes(0, 200), Defaults);

        Assert.Equal(AbDecision.Continue, test.Decision);
        Assert.Equal(1, test.PValue);
        Assert.Null(test.Lower);
        Assert.Equal(-1, test.Effect);

        // One more champion outcome reaches the minimum: constant arms that differ are decisive (the limit s² → 0).
        var decided = test.Observe(Outcomes(1, 0), default, Defaults);

        Assert.Equal(AbDecision.ChampionBetter, decided.Decision);
        Assert.Equal(0, decided.PValue);
    }

    [Fact]
    public void Observe_BothArmsAllCorrect_ContinuesWithoutNaNThenNoDifferenceAtMaximum()
    {
        var options = new AbTestOptions { MaxSamplePerArm = 1000 };

        var test = AbTest.Empty.Observe(Outcomes(900, 0), Outcomes(999, 0), options);

        Assert.Equal(AbDecision.Continue, test.Decision);
        Assert.Equal(1, test.PValue);
        Assert.Null(test.Lower);
        Assert.Null(test.Upper);
        Assert.Equal(AbDecision.NoDifference, test.Observe(Outcomes(100, 0), Outcomes(1, 0), options).Decision);
    }

    [Fact]
    public void Observe_ChampionAllCorrectChallengerSeventyPercent_HandComputedPValueAndInterval()
    {
        var test = AbTest.Empty.Observe(Outcomes(900, 0), Outcomes(70, 30), Defaults);

        // δ̂ = −0.3; var_A = 0, var_B = 21/99, s² = 21/9900; τ² = 0.1² · (var_B/2) = s²/2, so s²/(s²+τ²) = 2/3 and
        // ln Λ = ½ ln(2/3) + δ̂²τ²/(2s²(s²+τ²)) = ½ ln(2/3) + 0.09/(6 s²); r² = 3 s² (ln 1.5 − 2 ln 0.05).
        var s2 = 21.0 / 9900;
        var radius = Math.Sqrt(3 * s2 * (Math.Log(1.5) - 2 * Math.Log(0.05)));
        Assert.Equal(AbDecision.ChampionBetter, test.Decision);
        Assert.Equal(-0.3, test.Effect, 12);
        Assert.Equal(Math.Sqrt(1.5) * Math.Exp(-0.015 / s2), test.PValue, 12);   // ≈ 0.00104
        Assert.Equal(-0.3 - radius, test.Lower!.Value, 12);                      // ≈ −0.502
        Assert.Equal(-0.3 + radius, test.Upper!.Value, 12);                      // ≈ −0.098
    }

    [Fact]
    public void Observe_AfterDecision_KeepsDecisionAndSmallestPValue()
    {
        var decided = AbTest.Empty.Observe(Outcomes(700, 300), Outcomes(180, 20), Defaults);   // 0.70 vs 0.90
        Assert.Equal(AbDecision.ChallengerBetter, decided.Decision);

        // Then both arms at 0.70: the effect shrinks to ≈ 0.02 and 1/Λ grows, but the p-value is a running minimum.
        var later = decided.Observe(Outcomes(3500, 1500), Outcomes(1400, 600), Defaults);

        Assert.Equal(AbDecision.ChallengerBetter, later.Decision);
        Assert.Equal(decided.PValue, later.PValue);
        Assert.InRange(0.0, later.Lower!.Value, later.Upper!.Value);   // the latest interval alone no longer excludes 0
    }

    [Fact]
    public void Observe_RescaledOutcomes_SameDecisionAndPValue()
    {
        var rng = new Random(5);
        var a = Enumerable.Range(0, 400).Select(_ => -Math.Abs(Normal.Sample(rng, 0, 1))).ToArray();
        var b = Enumerable.Range(0, 150).Select(_ => -Math.Abs(Normal.Sample(rng, 0, 0.7))).ToArray();

        var unit = AbTest.Empty.Observe(RunningStats.Of(a), RunningStats.Of(b), Defaults);
        var dollars = AbTest.Empty.Observe(RunningStats.Of(a.Select(x => 1000 * x)), RunningStats.Of(b.Select(x => 1000 * x)), Defaults);

        Assert.Equal(AbDecision.ChallengerBetter, unit.Decision);
        Assert.Equal(unit.Decision, dollars.Decision);
        Assert.Equal(unit.PValue, dollars.PValue, 1e-9);
        Assert.Equal(1000 * unit.Lower!.Value, dollars.Lower!.Value, 1e-6);
    }

    [Fact]
    public void LogLikelihoodRatio_HandComputed()
    {
        // s² = 0.0004, τ² = 0.0012: ½ ln(0.25) + 0.05² · 0.0012 / (2 · 0.0004 · 0.0016) = −ln 2 + 2.34375.
        Assert.Equal(2.34375 - Math.Log(2), Msprt.LogLikelihoodRatio(0.05, 0.0004, 0.0012), 12);
    }

    [Theory]
    [InlineData(0.0004, 0.0012, 0.05)]
    [InlineData(1e-6, 0.01, 0.01)]
    [InlineData(2.5, 0.1, 0.2)]
    public void ConfidenceRadius_Boundary_HasLikelihoodRatioOneOverAlpha(double variance, double mixingVariance, double alpha)
    {
        var radius = Msprt.ConfidenceRadius(variance, mixingVariance, alpha);

        Assert.Equal(-Math.Log(alpha), Msprt.LogLikelihoodRatio(radius, variance, mixingVariance), 9);
    }

    [Fact]
    public void Json_RoundTrip_KeepsTheState()
    {
        var test = AbTest.Empty.Observe(Outcomes(700, 300), Outcomes(80, 20), Defaults);

        var json = LifecycleJson.Serialize(test, compact: true);
        var back = LifecycleJson.Deserialize<AbTest>(json);

        Assert.Contains("\"decision\":\"Continue\"", json, StringComparison.Ordinal);
        Assert.Equal(test, back);
        Assert.Equal(test.Observe(Outcomes(300, 100), Outcomes(30, 10), Defaults), back.Observe(Outcomes(300, 100), Outcomes(30, 10), Defaults));
    }

    [Theory]
    [InlineData(0, 0.1, 100)]
    [InlineData(1, 0.1, 100)]
    [InlineData(0.05, 0, 100)]
    [InlineData(0.05, 0.1, 1)]
    [InlineData(0.05, 0.1, 100, 99L)]
    public void Observe_InvalidOptions_Throws(double alpha, double tau, long minSample, long? maxSample = null)
    {
        var options = new AbTestOptions { Alpha = alpha, StandardizedTau = tau, MinSamplePerArm = minSample, MaxSamplePerArm = maxSample };

        Assert.Throws<ArgumentOutOfRangeException>(() => AbTest.Empty.Observe(default, default, options));
    }
}
