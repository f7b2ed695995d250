namespace MlLifecycle.Core.Monitoring;

/// <summary>One feature of a window compared with its reference profile.</summary>
public sealed record FeatureDrift
{
    /// <summary>Name of <see cref="Test"/> for numbers: two-sample Kolmogorov–Smirnov.</summary>
    public const string KsTest = "ks";

    /// <summary>Name of <see cref="Test"/> for categories: chi-square test of homogeneity.</summary>
    public const string ChiSquareTest = "chi2";

    /// <summary>Name of <see cref="Test"/> when the feature was not tested (see <see cref="Note"/>).</summary>
    public const string NoTest = "none";

    public required string Feature { get; init; }

    public required FeatureKind Kind { get; init; }

    /// <summary><see cref="KsTest"/>, <see cref="ChiSquareTest"/> or <see cref="NoTest"/>.</summary>
    public required string Test { get; init; }

    /// <summary>KS statistic D or chi-square statistic.</summary>
    public double? Statistic { get; init; }

    /// <summary>The p-value compared with <see cref="Threshold"/>: Benjamini–Hochberg-adjusted across the tested features after <see cref="DriftDetector.Summarize"/>, the test's own before.</summary>
    public double? PValue { get; init; }

    /// <summary>The test's own p-value.</summary>
    public double? RawPValue { get; init; }

    /// <summary>α of <see cref="DriftThresholds.Alpha"/>.</summary>
    public double Threshold { get; init; }

    /// <summary>Effect floor on <see cref="Distance"/>, from <see cref="DriftThresholds.MinDistance"/>.</summary>
    public double MinDistance { get; init; }

    /// <summary>Effect floor on <see cref="Psi"/>, from <see cref="DriftThresholds.MinPsi"/>.</summary>
    public double MinPsi { get; init; }

    /// <summary><see cref="PValue"/> below <see cref="Threshold"/> and <see cref="LargeEffect"/>.</summary>
    public bool Drifted { get; init; }

    /// <summary><see cref="Distance"/> or <see cref="Psi"/> at least its floor in <see cref="DriftThresholds"/>.</summary>
    public bool LargeEffect { get; init; }

    /// <summary>Current values compared (missing ones excluded).</summary>
    public long Rows { get; init; }

    /// <summary>Largest CDF gap: KS statistic (numbers) or total variation distance (categories).</summary>
    public double? Distance { get; init; }

    /// <summary>PSI over the profile's bins (numbers) or categories (with other), empty bins as <see cref="Monitoring.Psi.Epsilon"/>.</summary>
    public double? Psi { get; init; }

    /// <summary>Jensen–Shannon distance (base 2) over the same bins or categories.</summary>
    public double? JensenShannon { get; init; }

    /// <summary>Wasserstein-1 distance between the profile and the current values, in the feature's units (numbers).</summary>
    public double? Wasserstein { get; init; }

    /// <summary>Share of current rows without a value.</summary>
    public double MissingRate { get; init; }

    public double ReferenceMissingRate { get; init; }

    /// <summary>Share of current values below the reference minimum or above its maximum (numbers).</summary>
    public double? OutOfRangeShare { get; init; }

    /// <summary>Share of current values outside the profile's named categories: new categories, and rare ones when the profile counted some as other (categories).</summary>
    public double? UnseenShare { get; init; }

    /// <summary>Why the feature was not tested.</summary>
    public string? Note { get; init; }

    /// <summary>The reference and current shares over the bins <see cref="Psi"/> compares (for the drift report's charts).</summary>
    public DriftBins? Bins { get; init; }
}

/// <summary>
/// Reference and current shares of one feature over the same bins: the profile's PSI bins for numbers (labelled by
/// their edges), its named categories plus <c>(other)</c> for categories.
/// </summary>
public sealed record DriftBins(IReadOnlyList<string> Labels, IReadOnlyList<double> Reference, IReadOnlyList<double> Current)
{
    /// <summary>Labels of the <c>edges.Count + 1</c> bins of <see cref="Monitoring.Psi.Proportions"/>: "&lt; a", "a – b", …, "≥ z".</summary>
    public static IReadOnlyList<string> NumericLabels(IReadOnlyList<double> edges)
    {
        static string G(double v) => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
        return edges.Count == 0 ? ["all"]
            : [$"< {G(edges[0])}", .. edges.Zip(edges.Skip(1), (a, b) => $"{G(a)} – {G(b)}"), $"≥ {G(edges[^1])}"];
    }
}

/// <summary>The verdict on a whole window.</summary>
/// <param name="Drifted">At least one feature drifted and <paramref name="Share"/> ≥ <paramref name="ShareThreshold"/>.</param>
/// <param name="Share">Drifted features / tested features (0 when none was tested).</param>
/// <param name="ShareThreshold">The spec's <c>drift.driftedShare</c>.</param>
public sealed record DatasetDrift(bool Drifted, int DriftedFeatures, int TestedFeatures, double Share, double ShareThreshold, IReadOnlyList<FeatureDrift> Features);

/// <summary>
/// Compares current windows with reference profiles, feature by feature, and reaches a verdict on the window. Numbers
/// are tested with the two-sample KS test (p-value as scipy's <c>ks_2samp</c> with <c>method='auto'</c>, the reference
/// size being the profile's count); categories with the chi-square test of homogeneity over the profile's categories
/// plus other. From an <see cref="NumericProfile.Exact"/> profile every statistic equals the one on the raw
/// reference values; otherwise the reference is the profile's weighted points, whose CDF is within
/// 1/(2·maxPoints) of the reference's: KS statistics within that much (0.0005 by default), Wasserstein within
/// (max − min)/(2·maxPoints). PSI and Jensen–Shannon always use the exact reference bin proportions.
/// </summary>
public static class DriftDetector
{
    /// <summary>
    /// A numeric feature's current values (NaN and infinities = missing) against its profile. <see cref="FeatureDrift.PValue"/>
    /// is the test's own until <see cref="Summarize"/> adjusts it.
    /// </summary>
    public static FeatureDrift Compare(FeatureProfile profile, ReadOnlySpan<double> current, DriftThresholds thresholds)
    {
        if (profile.Kind != FeatureKind.Numeric)
        {
            throw new ArgumentException($"{profile.Feature} is profiled as {profile.Kind}.", nameof(profile));
        }

        var values = FeatureProfile.Finite(current);
        Array.Sort(values);
        var result = Base(profile, FeatureDrift.KsTest, values.Length, current.Length, thresholds);
        if (profile.Numeric is not { } reference)
        {
            return Untested(result, "the reference has no value");
        }

        if (values.Length == 0)
        {
            return Untested(result, "the window has no value");
        }

        double[] points = [.. reference.Points], weights = [.. reference.Weights], referenceShares = [.. reference.PsiProportions];
        var shares = Monitoring.Psi.Proportions(values, reference.PsiEdges);
        var outside = SortedSearch.CountBelow(values, reference.Min) + SortedSearch.CountAbove(values, reference.Max);
        var distance = KolmogorovSmirnov.Statistic(points, weights, values);
        result = result with
        {
            Statistic = distance,
            Distance = distance,
            Psi = Monitoring.Psi.Index(referenceShares, shares),
            JensenShannon = Monitoring.JensenShannon.Distance(referenceShares, shares),
            Wasserstein = Monitoring.Wasserstein.DistanceSorted(points, weights, values, default),
            OutOfRangeShare = (double)outside / values.Length,
            Bins = new DriftBins(DriftBins.NumericLabels(reference.PsiEdges), referenceShares, shares),
        };
        return Decide(result, reference.Count, thresholds, () => KolmogorovSmirnov.PValue(distance, reference.Count, values.Length));
    }

    /// <summary>
    /// A categorical feature's current values (null or empty = missing) against its profile. Values outside the
    /// profile's named categories join its other count.
    /// </summary>
    public static FeatureDrift Compare(FeatureProfile profile, IEnumerable<string?> current, DriftThresholds thresholds)
    {
        if (profile.Kind != FeatureKind.Categorical)
        {
            throw new ArgumentException($"{profile.Feature} is profiled as {profile.Kind}.", nameof(profile));
        }

        var (counts, count, missing) = FeatureProfile.CountCategories(current);
        var result = Base(profile, FeatureDrift.ChiSquareTest, count, count + missing, thresholds);
        if (profile.Categorical is not { } reference)
        {
            return Untested(result, "the reference has no value");
        }

        if (count == 0)
        {
            return Untested(result, "the window has no value");
        }

        var referenceCounts = reference.Counts.Values.Select(c => (double)c).Append(reference.Other).ToArray();
        var currentCounts = reference.Counts.Keys.Select(c => (double)counts.GetValueOrDefault(c)).ToList();
        var unseen = count - currentCounts.Sum();
        currentCounts.Add(unseen);
        var referenceShares = referenceCounts.Select(c => c / reference.Count).ToArray();
        var shares = currentCounts.Select(c => c / count).ToArray();
        var test = Monitoring.ChiSquareTest.Homogeneity(referenceCounts, [.. currentCounts]);
        result = result with
        {
            Statistic = test.Statistic,
            Distance = referenceShares.Zip(shares, (p, q) => Math.Abs(p - q)).Sum() / 2,
            Psi = Monitoring.Psi.Index(referenceShares, shares),
            JensenShannon = Monitoring.JensenShannon.Distance(referenceShares, shares),
            UnseenShare = unseen / count,
            Bins = new DriftBins([.. reference.Counts.Keys, "(other)"], referenceShares, shares),
        };
        return Decide(result, reference.Count, thresholds, () => test.PValue);
    }

    /// <summary>
    /// Adjusts the tested features' p-values by Benjamini–Hochberg across them, decides each again with the adjusted
    /// p-value, and reaches the verdict: the window has drifted when at least one feature has and the drifted share of
    /// the tested features is at least <paramref name="driftedShare"/> (0: any drifted feature).
    /// </summary>
    public static DatasetDrift Summarize(IReadOnlyList<FeatureDrift> features, double driftedShare)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(driftedShare);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(driftedShare, 1);
        var raw = features.Where(f => f.RawPValue is not null).Select(f => f.RawPValue!.Value).ToList();
        var adjusted = BenjaminiHochberg.Adjust(raw);
        var next = 0;
        var decided = features.Select(f => f.RawPValue is null ? f : Adjusted(f, adjusted[next++])).ToList();
        var drifted = decided.Count(f => f.Drifted);
        var share = raw.Count == 0 ? 0 : (double)drifted / raw.Count;
        return new DatasetDrift(drifted > 0 && share >= driftedShare, drifted, raw.Count, share, driftedShare, decided);
    }

    /// <summary>A feature the window does not have: reported with its thresholds, not tested.</summary>
    public static FeatureDrift Absent(FeatureProfile profile, DriftThresholds thresholds, string note) =>
        Base(profile, FeatureDrift.NoTest, 0, 0, thresholds) with { Note = note };

    private static FeatureDrift Adjusted(FeatureDrift feature, double p) => feature with { PValue = p, Drifted = p < feature.Threshold && feature.LargeEffect };

    private static FeatureDrift Base(FeatureProfile profile, string test, long rows, long total, DriftThresholds thresholds) => new()
    {
        Feature = profile.Feature,
        Kind = profile.Kind,
        Test = test,
        Threshold = thresholds.Alpha,
        MinDistance = thresholds.MinDistance,
        MinPsi = thresholds.MinPsi,
        Rows = rows,
        MissingRate = total == 0 ? 0 : (double)(total - rows) / total,
        ReferenceMissingRate = profile.MissingRate,
    };

    private static FeatureDrift Decide(FeatureDrift result, long referenceCount, DriftThresholds thresholds, Func<double> pValue)
    {
        var large = result.Distance >= thresholds.MinDistance || result.Psi >= thresholds.MinPsi;
        result = result with { LargeEffect = large };
        if (Math.Min(referenceCount, result.Rows) < thresholds.MinRows)
        {
            return Untested(result, $"{Math.Min(referenceCount, result.Rows)} values, fewer than minRows {thresholds.MinRows}");
        }

        var p = pValue();
        return result with { PValue = p, RawPValue = p, Drifted = p < thresholds.Alpha && large };
    }

    private static FeatureDrift Untested(FeatureDrift result, string note) => result with { Test = FeatureDrift.NoTest, Note = $"not tested: {note}" };
}
