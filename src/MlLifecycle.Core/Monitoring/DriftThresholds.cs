namespace MlLifecycle.Core.Monitoring;

/// <summary>
/// When one feature counts as drifted. A feature is tested when the reference and the current window both have at
/// least <see cref="MinRows"/> values; it has drifted when its test's p-value, adjusted by Benjamini–Hochberg across
/// the tested features, is below <see cref="Alpha"/> <b>and</b> the shift is large enough to matter: a distance of at
/// least <see cref="MinDistance"/> or a PSI of at least <see cref="MinPsi"/>. Significance alone is not enough because
/// on large windows KS and chi-square flag shifts too small to matter (at a million rows a KS statistic of 0.002 is
/// significant); the effect floor alone is not enough because on small windows PSI and distances are noisy.
/// </summary>
public sealed record DriftThresholds
{
    public static DriftThresholds Default { get; } = new();

    /// <summary>Level for the Benjamini–Hochberg-adjusted p-value of KS (numbers) or chi-square (categories) (default 0.05: the expected share of false alarms among flagged features).</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>
    /// Effect floor on the largest gap between the two distributions' CDFs: the KS statistic for numbers, the total
    /// variation distance ½Σ|pᵢ − qᵢ| for categories (the KS statistic of a 0/1 feature) (default 0.1: for a normal
    /// feature, a mean shift of a quarter of a standard deviation, 2Φ(0.125) − 1 ≈ 0.0995).
    /// </summary>
    public double MinDistance { get; init; } = 0.1;

    /// <summary>Effect floor on the PSI (default 0.1, where a "moderate" shift starts by the usual reading).</summary>
    public double MinPsi { get; init; } = 0.1;

    /// <summary>Fewest values (missing ones excluded) the reference and the current window need for the feature to be tested (default 100).</summary>
    public int MinRows { get; init; } = 100;
}
