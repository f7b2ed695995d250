namespace MlLifecycle.Core.Experiments;

/// <summary>What an A/B test concludes so far. Every value but <see cref="Continue"/> is final.</summary>
public enum AbDecision
{
    Continue,
    ChallengerBetter,
    ChampionBetter,

    /// <summary>Both arms reached <see cref="AbTestOptions.MaxSamplePerArm"/> without a difference at level α.</summary>
    NoDifference,
}

public sealed record AbTestOptions
{
    /// <summary>Bound on the chance of ever declaring a difference when there is none, however often the test is looked at (default 0.05).</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>
    /// τ, the standard deviation of the normal mixing distribution over effects, in units of the outcomes' standard
    /// deviation √((var_A + var_B)/2) (default 0.1). Standardized because the outcome's scale differs by task: 0/1
    /// correctness for classification, negative absolute error in label units for regression; the decisions do not
    /// change when the outcome is rescaled. The mSPRT detects effects near τ fastest and is robust within a factor of
    /// a few: model upgrades worth a test move accuracy by one to a few points, at 70–90 % accuracy a standardized
    /// effect of about 0.03–0.15, and 0.1 sits in that range (simulated, 0.70 vs 0.76 at a 90/10 split: τ of 0.05,
    /// 0.1 and 0.2 find the challenger better in 86–90 % of experiments within 10,000 outcomes, 0.02 in 31 %).
    /// </summary>
    public double StandardizedTau { get; init; } = 0.1;

    /// <summary>
    /// Observations each arm needs before the test is evaluated at all (default 100): the normal approximation and
    /// the plug-in variances are poor below that, and skipping early looks keeps the guarantee (it holds for any subset of looks).
    /// </summary>
    public long MinSamplePerArm { get; init; } = 100;

    /// <summary>When both arms have this many observations and no difference was found, the test stops with <see cref="AbDecision.NoDifference"/> (default none).</summary>
    public long? MaxSamplePerArm { get; init; }
}

/// <summary>
/// A champion-vs-challenger test on per-prediction outcomes (higher is better: 1/0 for a correct classification, the
/// negative absolute error for regression), small enough to persist after every batch of feedback.
/// </summary>
/// <remarks>
/// The test is the mixture sequential probability ratio test (mSPRT) of Johari, Koomen, Pekelis &amp; Walsh, "Always
/// valid inference" (Operations Research 2022): for the effect δ = mean(challenger) − mean(champion), estimated by
/// δ̂ with variance s² = var_A/n_A + var_B/n_B, and a normal N(0, τ²) mixture over δ,
/// Λ = √(s²/(s²+τ²)) · exp(δ̂²τ²/(2s²(s²+τ²))). Under "no difference" Λ is a nonnegative martingale (exactly for
/// normal outcomes with known variances, for any allocation of traffic; for 0/1 and other outcomes through the
/// central limit theorem and plug-in variances), so by Ville's inequality P(Λ ever ≥ 1/α) ≤ α: the p-value
/// p = min over looks of 1/Λ may be read after every batch, and the test stopped whenever it crosses α. Looking in
/// batches rather than after every observation only makes it more conservative. The same mixture gives the
/// always-valid confidence interval {δ : Λ(δ) &lt; 1/α}.
/// Exact alternatives for 0/1 outcomes (safe e-value tests for 2×2 tables, Turner, Ly &amp; Grünwald) need
/// blocks with fixed counts per arm, which a random traffic split does not give; the simulation tests check the
/// mSPRT's error rate on 0/1 outcomes at a 90/10 split instead.
/// </remarks>
/// <param name="PValue">Always-valid p-value of "no difference": 1 until both arms have <see cref="AbTestOptions.MinSamplePerArm"/>, then never increases.</param>
/// <param name="Lower">
/// Lower bound of the always-valid (1 − α) confidence interval of <see cref="Effect"/> at the latest look: with
/// probability ≥ 1 − α it covers δ at every look at once, so also at whichever look one stops. Not intersected
/// across looks (tighter, but a drift in a model's quality could leave it empty). Null below the minimum sample and
/// while neither arm's outcomes vary.
/// </param>
/// <param name="Upper">Upper bound of that interval.</param>
public sealed record AbTest(RunningStats Champion, RunningStats Challenger, double PValue = 1, double? Lower = null, double? Upper = null, AbDecision Decision = AbDecision.Continue)
{
    public static AbTest Empty { get; } = new(default, default);

    /// <summary>Estimated effect, challenger mean − champion mean (positive: the challenger is better).</summary>
    public double Effect => Challenger.Mean - Champion.Mean;

    /// <summary>Adds a batch of outcomes of each arm and re-evaluates the test. A decision once made is kept.</summary>
    public AbTest Observe(RunningStats champion, RunningStats challenger, AbTestOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Alpha);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(options.Alpha, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.StandardizedTau);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinSamplePerArm, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSamplePerArm ?? long.MaxValue, options.MinSamplePerArm);

        var next = this with { Champion = Champion.Merge(champion), Challenger = Challenger.Merge(challenger) };
        return next.Evaluate(options);
    }

    private AbTest Evaluate(AbTestOptions options)
    {
        var (a, b) = (Champion, Challenger);
        var smaller = Math.Min(a.Count, b.Count);
        if (smaller < options.MinSamplePerArm)
        {
            return this;
        }

        var effect = Effect;
        var variance = a.VarianceOfMean + b.VarianceOfMean;
        var pValue = PValue;
        double? lower = null, upper = null;
        if (variance > 0)
        {
            // The arms' variances weigh equally: the champion's many observations must not set the scale alone.
            var tau2 = options.StandardizedTau * options.StandardizedTau * (a.Variance + b.Variance) / 2;
            pValue = Math.Min(pValue, Math.Exp(-Msprt.LogLikelihoodRatio(effect, variance, tau2)));
            var radius = Msprt.ConfidenceRadius(variance, tau2, options.Alpha);
            (lower, upper) = (effect - radius, effect + radius);
        }
        else if (effect != 0)
        {
            // Both arms constant but different (e.g. all correct vs all wrong): the limit of Λ as s² → 0 is infinite.
            pValue = 0;
        }

        var decision = Decision != AbDecision.Continue ? Decision
            : pValue <= options.Alpha ? effect > 0 ? AbDecision.ChallengerBetter : AbDecision.ChampionBetter
            : smaller >= options.MaxSamplePerArm ? AbDecision.NoDifference
            : AbDecision.Continue;
        return new(a, b, pValue, lower, upper, decision);
    }
}

/// <summary>The normal-mixture SPRT for an effect estimate δ̂ with variance s², mixing distribution N(0, τ²).</summary>
public static class Msprt
{
    /// <summary>ln Λ = ½ ln(s²/(s²+τ²)) + δ̂²τ²/(2s²(s²+τ²)), the log mixture likelihood ratio of "δ ≠ 0" against δ = 0.</summary>
    public static double LogLikelihoodRatio(double effect, double variance, double mixingVariance) =>
        0.5 * Math.Log(variance / (variance + mixingVariance)) + effect * effect * mixingVariance / (2 * variance * (variance + mixingVariance));

    /// <summary>
    /// Half-width r of {δ : Λ(δ) &lt; 1/α} = (δ̂ − r, δ̂ + r), where Λ(δ) is the ratio with δ̂ − δ for δ̂:
    /// r² = s²(s²+τ²)/τ² · (ln((s²+τ²)/s²) − 2 ln α).
    /// </summary>
    public static double ConfidenceRadius(double variance, double mixingVariance, double alpha) =>
        Math.Sqrt(variance * (variance + mixingVariance) / mixingVariance * (Math.Log((variance + mixingVariance) / variance) - 2 * Math.Log(alpha)));
}
