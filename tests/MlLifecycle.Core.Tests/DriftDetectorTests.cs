using System.Globalization;
using MathNet.Numerics.Distributions;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Monitoring;

namespace MlLifecycle.Core.Tests;

public class DriftDetectorTests
{
    private static readonly DriftThresholds Defaults = DriftThresholds.Default;

    [Fact]
    public void FromNumbers_FewDistinctValues_KeepsEveryValueWithItsCount()
    {
        double[] values = [3, 1, 2, 3, double.NaN, 3, 1, double.PositiveInfinity];

        var profile = FeatureProfile.FromNumbers("x", values);

        Assert.True(profile.Numeric!.Exact);
        Assert.Equal([1.0, 2, 3], profile.Numeric.Points);
        Assert.Equal([2.0, 1, 3], profile.Numeric.Weights);
        Assert.Equal(6, profile.Numeric.Count);
        Assert.Equal(8, profile.Rows);
        Assert.Equal(2.0 / 8, profile.MissingRate);
        Assert.Equal((1.0, 3.0), (profile.Numeric.Min, profile.Numeric.Max));
    }

    [Fact]
    public void Compare_ExactProfile_EqualsTestsOnTheRawValues()
    {
        var random = new Random(3);
        var reference = Enumerable.Range(0, 800).Select(_ => Math.Round(Normal.Sample(random, 0, 1), 2)).ToArray();
        var current = Enumerable.Range(0, 300).Select(_ => Math.Round(Normal.Sample(random, 0.2, 1.1), 2)).ToArray();

        var profile = FeatureProfile.FromNumbers("x", reference);
        var result = DriftDetector.Compare(profile, current, Defaults);
        var raw = KolmogorovSmirnov.TwoSample(reference, current);

        Assert.True(profile.Numeric!.Exact);
        Assert.Equal(raw.Statistic, result.Statistic);
        Assert.Equal(raw.PValue, result.RawPValue);
        Assert.Equal(Wasserstein.Distance(reference, current), result.Wasserstein!.Value, 1e-12);
        Assert.Equal(Psi.Compute(reference, current), result.Psi!.Value, 1e-12);
    }

    [Fact]
    public void Compare_QuantileProfileOf100kRows_KsWithinHalfOverMaxPoints()
    {
        var random = new Random(5);
        var reference = Enumerable.Range(0, 100_000).Select(_ => LogNormal.Sample(random, 0, 0.8)).ToArray();
        var profile = FeatureProfile.FromNumbers("x", reference);
        var windows = new[] { (0.0, 1.0), (0.02, 1.0), (0.1, 1.0), (0.0, 1.3) }
            .Select(w => Enumerable.Range(0, 20_000).Select(_ => LogNormal.Sample(random, w.Item1, 0.8 * w.Item2)).ToArray());

        Assert.False(profile.Numeric!.Exact);
        Assert.True(profile.Numeric.Points.Count <= FeatureProfile.DefaultMaxPoints);
        Assert.Equal(FeatureProfile.DefaultMaxPoints, profile.Numeric.Weights.Sum());
        foreach (var current in windows)
        {
            var result = DriftDetector.Compare(profile, current, Defaults);

            var bound = 1.0 / (2 * FeatureProfile.DefaultMaxPoints);
            Assert.InRange(result.Statistic!.Value - KolmogorovSmirnov.TwoSample(reference, current).Statistic, -bound, bound);
            var wassersteinBound = (profile.Numeric.Max - profile.Numeric.Min) * bound;
            Assert.InRange(result.Wasserstein!.Value - Wasserstein.Distance(reference, current), -wassersteinBound, wassersteinBound);
            Assert.Equal(Psi.Compute(reference, current), result.Psi!.Value, 1e-12);
        }
    }

    [Fact]
    public void FeatureProfile_Json_RoundTripsAndStaysSmall()
    {
        var random = new Random(11);
        var numbers = FeatureProfile.FromNumbers("amount", Enumerable.Range(0, 100_000).Select(_ => Normal.Sample(random, 50, 10)).ToArray());
        var categories = FeatureProfile.FromCategories("city", Enumerable.Range(0, 1000).Select(i => i % 7 == 0 ? null : $"c{i % 5}"));
        double[] current = [.. Enumerable.Range(0, 500).Select(_ => Normal.Sample(random, 52, 10))];

        var json = LifecycleJson.Serialize(new[] { numbers, categories });
        var back = LifecycleJson.Deserialize<FeatureProfile[]>(json);

        Assert.True(json.Length < 60_000, $"{json.Length} characters");
        Assert.Contains("\"psiEdges\"", json, StringComparison.Ordinal);
        var (before, after) = (DriftDetector.Compare(numbers, current, Defaults), DriftDetector.Compare(back[0], current, Defaults));
        Assert.Equal(before with { Bins = null }, after with { Bins = null });
        Assert.Equal(before.Bins!.Labels, after.Bins!.Labels);
        Assert.Equal(before.Bins.Reference, after.Bins.Reference);
        Assert.Equal(before.Bins.Current, after.Bins.Current);
        Assert.Equal(categories.Categorical!.Counts, back[1].Categorical!.Counts);
    }

    [Fact]
    public void FromCategories_MoreThanMax_KeepsMostFrequentAndCountsOther()
    {
        string?[] values = ["a", "b", "a", "c", "a", "b", "d", null, ""];

        var profile = FeatureProfile.FromCategories("x", values, maxCategories: 2);

        Assert.Equal(new Dictionary<string, long> { ["a"] = 3, ["b"] = 2 }, profile.Categorical!.Counts);
        Assert.Equal(2, profile.Categorical.Other);
        Assert.Equal(7, profile.Categorical.Count);
        Assert.Equal(2.0 / 9, profile.MissingRate);
    }

    [Fact]
    public void Compare_Categories_ChiSquareOverProfileAndOtherWithUnseenShare()
    {
        var reference = Repeat(("a", 300), ("b", 200), ("c", 100));
        var current = Repeat(("a", 100), ("b", 100), ("c", 20), ("new", 30), (null, 50));

        var result = DriftDetector.Compare(FeatureProfile.FromCategories("x", reference), current, Defaults);

        var expected = ChiSquareTest.Homogeneity([300, 200, 100, 0], [100, 100, 20, 30]);
        Assert.Equal(FeatureDrift.ChiSquareTest, result.Test);
        Assert.Equal(expected.Statistic, result.Statistic);
        Assert.Equal(expected.PValue, result.RawPValue);
        Assert.Equal(250, result.Rows);
        Assert.Equal(30.0 / 250, result.UnseenShare!.Value, 12);
        Assert.Equal(50.0 / 300, result.MissingRate, 12);
        // ½ (|0.5 − 0.4| + |1/3 − 0.4| + |1/6 − 0.08| + |0 − 0.12|) = 0.1867
        Assert.Equal((0.1 + (0.4 - 1.0 / 3) + (1.0 / 6 - 0.08) + 0.12) / 2, result.Distance!.Value, 12);
        Assert.True(result.Drifted);
    }

    [Fact]
    public void Compare_Numbers_ReportsOutOfRangeAndMissingShares()
    {
        var reference = Enumerable.Range(0, 200).Select(i => (double)i).ToArray();
        double[] current = [-5, -1, 0, 50, 199, 200, 250, double.NaN, .. Enumerable.Range(0, 192).Select(i => (double)i)];

        var result = DriftDetector.Compare(FeatureProfile.FromNumbers("x", reference), current, Defaults);

        Assert.Equal(199, result.Rows);
        Assert.Equal(4.0 / 199, result.OutOfRangeShare!.Value, 12);
        Assert.Equal(1.0 / 200, result.MissingRate, 12);
        Assert.Equal(0, result.ReferenceMissingRate);
    }

    [Fact]
    public void Compare_LargeWindowTinyShift_SignificantButNotDrifted()
    {
        var random = new Random(17);
        var reference = Enumerable.Range(0, 200_000).Select(_ => Normal.Sample(random, 0, 1)).ToArray();
        var current = Enumerable.Range(0, 200_000).Select(_ => Normal.Sample(random, 0.03, 1)).ToArray();

        var result = DriftDetector.Compare(FeatureProfile.FromNumbers("x", reference), current, Defaults);

        Assert.True(result.RawPValue < 1e-6, $"p = {result.RawPValue}");
        Assert.True(result.Statistic < 0.02 && result.Psi < 0.01);
        Assert.False(result.LargeEffect);
        Assert.False(result.Drifted);
    }

    [Fact]
    public void Compare_FewerValuesThanMinRows_NotTested()
    {
        var profile = FeatureProfile.FromNumbers("x", Enumerable.Range(0, 500).Select(i => (double)i).ToArray());

        var result = DriftDetector.Compare(profile, Enumerable.Range(1000, 99).Select(i => (double)i).ToArray(), Defaults);

        Assert.Equal(FeatureDrift.NoTest, result.Test);
        Assert.Null(result.PValue);
        Assert.False(result.Drifted);
        Assert.Equal(1, result.Statistic);
        Assert.Contains("minRows 100", result.Note, StringComparison.Ordinal);
        Assert.Equal(FeatureDrift.KsTest, DriftDetector.Compare(profile, Enumerable.Range(1000, 100).Select(i => (double)i).ToArray(), Defaults).Test);
    }

    [Fact]
    public void Summarize_BenjaminiHochberg_RemovesDriftOfBorderlineFeatures()
    {
        // Three features at p = 0.03 with large effects drift alone; among 10 tested features BH lifts them to 0.1.
        var features = Enumerable.Range(0, 10)
            .Select(i => Feature($"f{i}", i < 3 ? 0.03 : 0.5, largeEffect: true))
            .Append(new FeatureDrift { Feature = "untested", Kind = FeatureKind.Numeric, Test = FeatureDrift.NoTest, Threshold = 0.05 })
            .ToList();

        var summary = DriftDetector.Summarize(features, driftedShare: 0);

        Assert.All(features.Take(3), f => Assert.True(f.Drifted));
        Assert.Equal(10, summary.TestedFeatures);
        Assert.Equal(0, summary.DriftedFeatures);
        Assert.False(summary.Drifted);
        Assert.Equal(0.1, summary.Features[0].PValue!.Value, 12);
        Assert.Equal(0.03, summary.Features[0].RawPValue);
        Assert.Null(summary.Features[^1].PValue);
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(0.2, true)]
    [InlineData(0.3, false)]
    public void Summarize_DriftedShare_DecidesTheWindow(double driftedShare, bool expected)
    {
        // 2 of 10 features drift (p = 1e-6 survives BH); a third has a tiny p-value but a small effect.
        var features = Enumerable.Range(0, 10)
            .Select(i => Feature($"f{i}", i < 3 ? 1e-6 : 0.5, largeEffect: i < 2))
            .ToList();

        var summary = DriftDetector.Summarize(features, driftedShare);

        Assert.Equal(2, summary.DriftedFeatures);
        Assert.Equal(0.2, summary.Share, 12);
        Assert.Equal(expected, summary.Drifted);
    }

    [Fact]
    public void CheckCreditG_HeldOutTwentyPercent_NothingDrifts()
    {
        var table = CreditG();
        for (var seed = 0; seed < 20; seed++)
        {
            var (reference, current) = Split(table, seed);

            var summary = Check(table, reference, current);

            Assert.Equal(20, summary.TestedFeatures);
            Assert.False(summary.Drifted, $"seed {seed}");
            Assert.True(summary.DriftedFeatures == 0, $"seed {seed}: {string.Join(", ", summary.Features.Where(f => f.Drifted).Select(f => $"{f.Feature} p={f.PValue:G3}"))}");
        }
    }

    [Fact]
    public void CheckCreditG_CreditAmountTripled_OnlyThatFeatureDrifts()
    {
        var table = CreditG();
        var amount = table.IndexOf("credit_amount");
        var (reference, current) = Split(table, seed: 1);
        var shifted = current.Select(row => row.Select((cell, i) => i == amount ? (3 * double.Parse(cell!, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture) : cell).ToArray()).ToList();

        var summary = Check(table, reference, shifted);

        var drifted = Assert.Single(summary.Features, f => f.Drifted);
        Assert.Equal("credit_amount", drifted.Feature);
        Assert.True(drifted.Statistic > 0.3 && drifted.PValue < 1e-10, $"D = {drifted.Statistic}, p = {drifted.PValue}");
        Assert.False(summary.Drifted);                                   // 1 of 20 < the default share 0.3
        Assert.True(DriftDetector.Summarize(summary.Features, driftedShare: 0).Drifted);
    }

    private static FeatureDrift Feature(string name, double p, bool largeEffect) => new()
    {
        Feature = name,
        Kind = FeatureKind.Numeric,
        Test = FeatureDrift.KsTest,
        PValue = p,
        RawPValue = p,
        Threshold = 0.05,
        LargeEffect = largeEffect,
        Drifted = p < 0.05 && largeEffect,
    };

    private static string?[] Repeat(params (string? Value, int Count)[] groups) =>
        groups.SelectMany(g => Enumerable.Repeat(g.Value, g.Count)).ToArray();

    private static TabularData CreditG()
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "data", "credit-g.csv"));
        return CsvLoader.Read(file);
    }

    private static (List<string?[]> Reference, List<string?[]> Current) Split(TabularData table, int seed)
    {
        var shuffled = table.Rows.ToArray();
        new Random(seed).Shuffle(shuffled);
        var cut = shuffled.Length * 8 / 10;
        return ([.. shuffled[..cut]], [.. shuffled[cut..]]);
    }

    // Every column but the label; a column whose cells all parse as numbers is numeric.
    private static DatasetDrift Check(TabularData table, List<string?[]> reference, List<string?[]> current)
    {
        List<FeatureDrift> features = [];
        for (var c = 0; c < table.Columns.Count - 1; c++)
        {
            var column = c;
            var name = table.Columns[column];
            if (table.Rows.All(r => r[column] is null || double.TryParse(r[column], CultureInfo.InvariantCulture, out _)))
            {
                double[] Numbers(List<string?[]> rows) => [.. rows.Select(r => r[column] is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : double.NaN)];
                features.Add(DriftDetector.Compare(FeatureProfile.FromNumbers(name, Numbers(reference)), Numbers(current), Defaults));
            }
            else
            {
                features.Add(DriftDetector.Compare(FeatureProfile.FromCategories(name, reference.Select(r => r[column])), current.Select(r => r[column]), Defaults));
            }
        }

        return DriftDetector.Summarize(features, Spec.DriftSpec.DefaultDriftedShare);
    }

    [Fact]
    public void Compare_Numbers_KeepsBothSharesOverPsisBins_LabelledByTheirEdges()
    {
        double[] reference = [.. Enumerable.Range(0, 100).Select(i => (double)i)]; // deciles at 9.9, 19.8, …, 89.1
        double[] current = [.. Enumerable.Range(0, 50).Select(i => 50.0 + i)]; // the upper half only

        var result = DriftDetector.Compare(FeatureProfile.FromNumbers("x", reference), current, Defaults with { MinRows = 10 });

        var bins = result.Bins!;
        Assert.Equal(10, bins.Labels.Count);
        Assert.Equal("< 9.9", bins.Labels[0]);
        Assert.Equal("9.9 – 19.8", bins.Labels[1]);
        Assert.Equal("≥ 89.1", bins.Labels[^1]);
        Assert.All(bins.Reference, share => Assert.Equal(0.1, share, 10));
        Assert.Equal([0, 0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.2], bins.Current.Select(s => Math.Round(s, 10)));
        Assert.Equal(Psi.Index([.. bins.Reference], [.. bins.Current]), result.Psi);
        Assert.Equal((Defaults.MinDistance, Defaults.MinPsi), (result.MinDistance, result.MinPsi));
    }

    [Fact]
    public void Compare_Categories_KeepsBothSharesOverTheProfilesCategoriesAndOther()
    {
        var profile = FeatureProfile.FromCategories("c", ["a", "a", "a", "b", "c"], maxCategories: 2);

        var result = DriftDetector.Compare(profile, ["a", "b", "b", "z"], Defaults);

        Assert.Equal(["a", "b", "(other)"], result.Bins!.Labels);
        Assert.Equal([0.6, 0.2, 0.2], result.Bins.Reference);
        Assert.Equal([0.25, 0.5, 0.25], result.Bins.Current);
    }

    [Fact]
    public void NumericLabels_OneBinWithoutEdges()
    {
        Assert.Equal(["all"], DriftBins.NumericLabels([]));
        Assert.Equal(["< 0.5", "≥ 0.5"], DriftBins.NumericLabels([0.5]));
    }
}
