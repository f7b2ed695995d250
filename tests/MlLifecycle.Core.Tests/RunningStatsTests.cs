using MathNet.Numerics.Statistics;
using MlLifecycle.Core.Experiments;

namespace MlLifecycle.Core.Tests;

public class RunningStatsTests
{
    [Fact]
    public void Of_HandComputed_MatchesCountMeanAndVariance()
    {
        var s = RunningStats.Of([2, 4, 4, 4, 5, 5, 7, 9]);

        Assert.Equal(8, s.Count);
        Assert.Equal(5, s.Mean, 12);
        Assert.Equal(32, s.M2, 12);           // squared deviations 9+1+1+1+0+0+4+16
        Assert.Equal(32.0 / 7, s.Variance, 12);
    }

    [Fact]
    public void Variance_FewerThanTwoValues_IsZero()
    {
        Assert.Equal(0, default(RunningStats).Variance);
        Assert.Equal(0, RunningStats.Of([3.5]).Variance);
        Assert.Equal(3.5, RunningStats.Of([3.5]).Mean);
    }

    [Fact]
    public void Merge_Batches_EqualsStatisticsOfTheUnion()
    {
        var rng = new Random(7);
        var values = Enumerable.Range(0, 1000).Select(_ => 1e6 + rng.NextDouble() * 10).ToArray();
        int[] cuts = [0, 1, 1, 250, 251, 700, 1000];   // includes an empty and a single-value batch

        var merged = cuts.Zip(cuts.Skip(1))
            .Select(c => RunningStats.Of(values[c.First..c.Second]))
            .Aggregate(default(RunningStats), (total, batch) => total.Merge(batch));

        Assert.Equal(1000, merged.Count);
        Assert.Equal(values.Mean(), merged.Mean, tolerance: 1e-8);      // values near 1e6: ~1e-14 relative
        Assert.Equal(values.Variance(), merged.Variance, tolerance: 1e-9);
        Assert.Equal(RunningStats.Of(values).M2, merged.M2, tolerance: 1e-6);
    }

    [Fact]
    public void Merge_WithEmpty_ReturnsTheOtherUnchanged()
    {
        var s = RunningStats.Of([1, 0, 1]);

        Assert.Equal(s, s.Merge(default));
        Assert.Equal(s, default(RunningStats).Merge(s));
    }

    [Fact]
    public void Json_RoundTrip_KeepsEveryField()
    {
        var s = RunningStats.Of([0.1, 0.7, 0.3]);

        var json = LifecycleJson.Serialize(s, compact: true);

        Assert.Equal($"{{\"count\":3,\"mean\":{s.Mean:R},\"m2\":{s.M2:R}}}", json);
        Assert.Equal(s, LifecycleJson.Deserialize<RunningStats>(json));
    }
}
