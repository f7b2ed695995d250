using MathNet.Numerics.Distributions;
using MlLifecycle.Core.Experiments;
using Xunit.Abstractions;

namespace MlLifecycle.Core.Tests;

public class AbTestTests(ITestOutputHelper output)
{
    private const double ChallengerShare = 0.1;
    private const int Batch = 20;
    private static readonly AbTestOptions Defaults = new();

    /// <summary>How one simulated experiment ended: the first decision and when, and whether a fixed-horizon z-test at level α rejected at any look.</summary>
    private sealed record Run(AbDecision Decision, int DecidedAt, bool NaiveRejected);

    /// <summary>
    /// A 90/10 traffic split fed back in batches of 20 outcomes, the test evaluated after every batch (continuous
    /// monitoring) until <paramref name="budget"/> outcomes in all. Runs to the end even after a decision, for the naive test.
    /// </summary>
    private static Run Simulate(Random rng, Func<Random, double> champion, Func<Random, double> challenger, int budget, AbTestOptions options)
    {
        var zCritical = Normal.InvCDF(0, 1, 1 - options.Alpha / 2);
        var (test, decidedAt, naive) = (AbTest.Empty, 0, false);
        for (var seen = Batch; seen <= budget; seen += Batch)
        {
            RunningStats a = default, b = default;
            for (var i = 0; i < Batch; i++)
            {
                if (rng.NextDouble() < ChallengerShare)
                {
                    b = b.Add(challenger(rng));
                }
                else
                {
                    a = a.Add(champion(rng));
                }
            }

            var before = test.Decision;
            test = test.Observe(a, b, options);
            decidedAt = before == AbDecision.Continue && test.Decision != AbDecision.Continue ? seen : decidedAt;
            naive |= NaiveZTestRejects(test, options, zCritical);
        }

        return new(test.Decision, decidedAt, naive);
    }

    /// <summary>Welch z-test of "no difference" as if this look were the planned end of a fixed-horizon test.</summary>
    private static bool NaiveZTestRejects(AbTest test, AbTestOptions options, double zCritical)
    {
        var (a, b) = (test.Champion, test.Challenger);
        var variance = a.Variance / a.Count + b.Variance / b.Count;
        return Math.Min(a.Count, b.Count) >= options.MinSamplePerArm && variance > 0 && Math.Abs(test.Effect) / Math.Sqrt(variance) > zCritical;
    }

    private static Func<Random, double> Bernoulli(double p) => rng => rng.NextDouble() < p ? 1 : 0;

    private static List<Run> Experiments(int count, int seed, Func<Random, double> champion, Func<Random, double> challenger, int budget)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Simulate(rng, champion, challenger, budget, Defaults)).ToList();
    }

    private static RunningStats Outcomes(int correct, int wrong) => RunningStats.Of(Enumerable.Repeat(1.0, correct).Concat(Enumerable.Repeat(0.0, wrong)));

    private void Report(string what, List<Run> runs, AbDecision decision)
    {
        var count = runs.Count(r => r.Decision == decision);
        var at = runs.Where(r => r.Decision == decision).Select(r => r.DecidedAt).Order().ToList();
        output.WriteLine($"{what}: {decision} in {count}/{runs.Count} = {(double)count / runs.Count:P1}" + (at.Count > 0 ? $", median at {at[at.Count / 2]} outcomes" : ""));
    }

    [Fact]
    public void Observe_NullBernoulliMonitoredAfterEveryBatch_FalsePositiveRateAtMostAlpha()
    {
        // 500 experiments, 20,000 outcomes each (≈ 18,000 champion, 2,000 challenger), 1,000 looks; both arms 70 % correct.
        var runs = Experiments(500, seed: 1, Bernoulli(0.7), Bernoulli(0.7), budget: 20_000);

        var falsePositives = runs.Count(r => r.Decision != AbDecision.Continue);
        Report("null, Bernoulli 0.7", runs, AbDecision.ChallengerBetter);
        Report("null, Bernoulli 0.7", runs, AbDecision.ChampionBetter);

        // At most 25 of 500; at least one, or a test that never decides would pass.
        Assert.InRange(falsePositives, 1, (int)(Defaults.Alpha * runs.Count));
    }

    [Theory]
    [InlineData("normal")]
    [InlineData("negativeAbsoluteError")]
    public void Observe_NullRegressionMonitoredAfterEveryBatch_FalsePositiveRateAtMostAlpha(string outcome)
    {
        // Errors in label units (σ = 40): the test is scale-free, so the scale must not matter. −|ε| is skewed, not normal.
        Func<Random, double> draw = outcome == "normal" ? r => Normal.Sample(r, -30, 40) : r => -Math.Abs(Normal.Sample(r, 0, 40));
        var runs = Experiments(500, seed: 2, draw, draw, budget: 20_000);

        var falsePositives = runs.Count(r => r.Decision != AbDecision.Continue);
        output.WriteLine($"null, {outcome}: {falsePositives}/{runs.Count} = {(double)falsePositives / runs.Count:P1} false positives");

        Assert.InRange(falsePositives, 1, (int)(Defaults.Alpha * runs.Count));
    }

    [Fact]
    public void Observe_ChallengerTrulyBetter_DeclaredBetterInMostExperimentsAndNeverWorse()
    {
        // 0.70 vs 0.76, at most 10,000 outcomes (≈ 1,000 for the challenger).
        var runs = Experiments(200, seed: 3, Bernoulli(0.70), Bernoulli(0.76), budget: 10_000);

        Report("power, 0.70 vs 0.76", runs, AbDecision.ChallengerBetter);
        Report("power, 0.70 vs 0.76", runs, AbDecision.ChampionBetter);

        Assert.InRange(runs.Count(r => r.Decision == AbDecision.ChallengerBetter), 160, 200);   // ≥ 80 %
        Assert.Equal(0, runs.Count(r => r.Decision == AbDecision.ChampionBetter));
    }

    [Fact]
    public void NaiveZTest_SameContinuousMonitoring_FalsePositiveRateFarAboveAlpha()
    {
        // The data of the null case, shorter: 5,000 outcomes, 250 looks. A z-test read at every look as if it were the last.
        var runs = Experiments(200, seed: 4, Bernoulli(0.7), Bernoulli(0.7), budget: 5_000);

        var naive = runs.Count(r => r.NaiveRejected);
        var sequential = runs.Count(r => r.Decision != AbDecision.Continue);
        output.WriteLine($"null, Bernoulli 0.7, 250 looks: naive z-test {naive}/200 = {naive / 200.0:P1}, mSPRT {sequential}/200 = {sequential / 200.0:P1}");

        Assert.True(naive > 2 * Defaults.Alpha * runs.Count, $"naive z-test rejected in {naive}/200");
        Assert.True(sequential <= Defaults.Alpha * runs.Count, $"mSPRT rejected in {sequential}/200");
    }

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
