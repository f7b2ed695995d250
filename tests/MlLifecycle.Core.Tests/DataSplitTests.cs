using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class DataSplitTests
{
    [Fact]
    public void Holdout_100Rows_Splits70_15_15Disjointly()
    {
        var split = DataSplit.Holdout(100, seed: 7);

        Assert.Equal(70, split.Train.Length);
        Assert.Equal(15, split.Validation.Length);
        Assert.Equal(15, split.Test.Length);
        Assert.Equal(Enumerable.Range(0, 100), split.Train.Concat(split.Validation).Concat(split.Test).Order());
    }

    [Fact]
    public void Holdout_SameSeed_SameSplit_OtherSeed_OtherSplit()
    {
        var a = DataSplit.Holdout(200, seed: 1);
        var b = DataSplit.Holdout(200, seed: 1);
        var c = DataSplit.Holdout(200, seed: 2);

        Assert.Equal(a.Test, b.Test);
        Assert.NotEqual(a.Test, c.Test);
    }

    [Fact]
    public void Holdout_Stratified_KeepsClassProportionsWithinOneRow()
    {
        var labels = Enumerable.Range(0, 300).Select(i => i % 10 == 0 ? "rare" : i % 3 == 0 ? "mid" : "common").ToList();

        var split = DataSplit.Holdout(labels.Count, seed: 3, strata: labels);

        foreach (var part in new[] { (split.Train, 0.7), (split.Validation, 0.15), (split.Test, 0.15) })
        {
            foreach (var cls in labels.Distinct())
            {
                var expected = labels.Count(l => l == cls) * part.Item2;
                var actual = part.Item1.Count(i => labels[i] == cls);
                Assert.InRange(actual, expected - 1, expected + 1);
            }
        }
    }

    [Fact]
    public void Holdout_TooFewRows_ThrowsTooFewRows()
    {
        var ex = Assert.Throws<DataValidationException>(() => DataSplit.Holdout(5, seed: 1));

        Assert.Equal(AnomalyCodes.TooFewRows, ex.Code);
    }
}
