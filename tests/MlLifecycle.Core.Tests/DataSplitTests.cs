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

    private static List<string?[]> Rows(int count, int offset = 0) =>
        [.. Enumerable.Range(offset, count).Select(i => new string?[] { i.ToString(System.Globalization.CultureInfo.InvariantCulture), (i % 7).ToString(System.Globalization.CultureInfo.InvariantCulture), i % 3 == 0 ? null : "x" })];

    /// <summary>The rows' typed content: a number, a small integer and a category.</summary>
    private static RowContent Content(List<string?[]> rows) =>
        new(ColumnTable.FromRows(["id", "k", "c"], rows), [("id", ColumnKind.Numeric), ("k", ColumnKind.Numeric), ("c", ColumnKind.Categorical)]);

    [Fact]
    public void Hashed_2000Rows_SplitsNear70_15_15Disjointly()
    {
        var split = DataSplit.Hashed(Content(Rows(2000)), "credit");

        Assert.InRange(split.Train.Length, 1330, 1470);
        Assert.InRange(split.Validation.Length, 240, 360);
        Assert.InRange(split.Test.Length, 240, 360);
        Assert.Equal(Enumerable.Range(0, 2000), split.Train.Concat(split.Validation).Concat(split.Test).Order());
    }

    /// <summary>A row's part depends on its content and the salt only: not on the order of the file, nor on the rows added to it.</summary>
    [Fact]
    public void Hashed_SameRowSamePart_AcrossReorderedAndGrownFiles_AndAnotherSaltSplitsOtherwise()
    {
        var original = Rows(600);
        var grown = original.Concat(Rows(400, offset: 600)).Reverse().ToList();

        var a = Parts(original, DataSplit.Hashed(Content(original), "m"));
        var b = Parts(grown, DataSplit.Hashed(Content(grown), "m"));
        var other = Parts(original, DataSplit.Hashed(Content(original), "n"));

        Assert.All(a, kv => Assert.Equal(kv.Value, b[kv.Key]));
        Assert.True(a.Count(kv => kv.Value != other[kv.Key]) > 100, "another salt moves rows");
    }

    [Fact]
    public void Hashed_ExactDuplicates_ShareAPart()
    {
        var rows = Rows(200).Concat(Rows(200)).ToList();

        var split = DataSplit.Hashed(Content(rows), "dups");

        Assert.All(Enumerable.Range(0, 200), i => Assert.Equal(split.Test.Contains(i), split.Test.Contains(i + 200)));
    }

    /// <summary>Whatever the salt, a class of 2 rows keeps a training row, and the data a test row.</summary>
    [Fact]
    public void Hashed_TinyClass_AlwaysKeepsATrainingRow()
    {
        var rows = Rows(60);
        var labels = Enumerable.Range(0, 60).Select(i => i < 2 ? "rare" : i % 2 == 0 ? "a" : "b").ToList();

        foreach (var salt in Enumerable.Range(0, 200).Select(i => $"salt{i}"))
        {
            var split = DataSplit.Hashed(Content(rows), salt, strata: labels);
            Assert.Contains(split.Train, i => labels[i] == "rare");
            Assert.NotEmpty(split.Test);
        }
    }

    [Fact]
    public void Hashed_TooFewRows_ThrowsTooFewRows()
    {
        var ex = Assert.Throws<DataValidationException>(() => DataSplit.Hashed(Content(Rows(5)), "m"));

        Assert.Equal(AnomalyCodes.TooFewRows, ex.Code);
    }

    private static Dictionary<string, int> Parts(List<string?[]> rows, DataSplit split) =>
        new[] { split.Train, split.Validation, split.Test }.SelectMany((part, p) => part.Select(i => (Key: rows[i][0]!, p))).ToDictionary(x => x.Key, x => x.p);

    [Fact]
    public void Holdout_TooFewRows_ThrowsTooFewRows()
    {
        var ex = Assert.Throws<DataValidationException>(() => DataSplit.Holdout(5, seed: 1));

        Assert.Equal(AnomalyCodes.TooFewRows, ex.Code);
    }
}
