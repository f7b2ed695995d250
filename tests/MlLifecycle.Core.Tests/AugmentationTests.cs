using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class AugmentationTests
{
    private static readonly ColumnSchema X = new("x", ColumnKind.Numeric, 0, 0, null, null, null);
    private static readonly ColumnSchema Y = new("y", ColumnKind.Numeric, 0, 0, null, null, null);
    private static readonly ColumnSchema City = new("city", ColumnKind.Categorical, 0, 0, null, null, null);

    private static DatasetSchema Schema(string[] classes, params ColumnSchema[] features) =>
        new(0, new ColumnSchema("label", ColumnKind.Categorical, 0, classes.Length, null, null, null), MlTask.MulticlassClassification, classes, null, features);

    private static AugmentationSpec Smote(double ratio = 1, int neighbors = 5) => new() { Method = AugmentationMethod.Smote, Ratio = ratio, Neighbors = neighbors };

    private static string Cell(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>One numeric cell per row: <c>a</c> rows first, then <c>b</c> rows.</summary>
    private static (List<string?[]> Rows, List<string> Labels) OneColumn(IEnumerable<double> a, IEnumerable<double> b)
    {
        List<string?[]> rows = [.. a.Concat(b).Select(v => new string?[] { Cell(v) })];
        List<string> labels = [.. a.Select(_ => "a").Concat(b.Select(_ => "b"))];
        return (rows, labels);
    }

    /// <summary>Augments rows of cells and reads the result back as cells (missing as null).</summary>
    private static (List<string?[]> Rows, IReadOnlyList<string> Labels, AugmentationReport? Report) Apply(DatasetSchema schema, List<string?[]> rows, IReadOnlyList<string> labels, AugmentationSpec spec, int seed)
    {
        var (outRows, outLabels, report) = Augmentation.Apply(schema, FeatureSource.FromCells(rows), labels, spec, seed);
        return ([.. Enumerable.Range(0, outRows.Count).Select(r => Enumerable.Range(0, schema.Features.Count).Select(f => outRows.Text(f, r) is { Length: > 0 } t ? t : null).ToArray())], outLabels, report);
    }

    /// <summary>A feature of the synthetic rows (those after the first <paramref name="original"/>), NaN when missing.</summary>
    private static List<double> Synthetic(List<string?[]> rows, int original, int feature) =>
        [.. rows.Skip(original).Select(r => (double)FeatureRows.ToSingle(r[feature]))];

    [Theory]
    [InlineData(1.0, 45, 25, 25)]  // target 25: b +23, c +22
    [InlineData(0.5, 21, 13, 13)]  // target ceil(12.5) = 13: b +11, c +10
    [InlineData(0.28, 9, 7, 7)]    // target 7 (0.28 × 25 is 7.000000000000001 in doubles): b +5, c +4
    public void Apply_SmoteRatio_GrowsSmallerClassesToTarget(double ratio, int synthetic, int b, int c)
    {
        List<string?[]> rows = [.. Enumerable.Range(0, 30).Select(i => new string?[] { Cell(i + 0.5) })];
        List<string> labels = [.. Enumerable.Repeat("a", 25), .. Enumerable.Repeat("b", 2), .. Enumerable.Repeat("c", 3)];

        var (outRows, outLabels, report) = Apply(Schema(["a", "b", "c"], X), rows, labels, Smote(ratio), seed: 1);

        Assert.NotNull(report);
        Assert.Equal(synthetic, report.SyntheticRows);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 25, ["b"] = 2, ["c"] = 3 }, report.ClassCountsBefore);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 25, ["b"] = b, ["c"] = c }, report.ClassCountsAfter);
        Assert.Equal(30 + synthetic, outRows.Count);
        Assert.Equal(report.ClassCountsAfter, outLabels.CountBy(l => l).ToDictionary());
        Assert.Null(report.Note);
    }

    [Fact]
    public void Apply_Smote_ValuesLieBetweenMinorityRows()
    {
        // Minority {0, 10}: its only neighbour pair, so every synthetic value is in [0, 10]; the column is not integer.
        var (rows, labels) = OneColumn(Enumerable.Range(0, 20).Select(i => -50.5 + 10 * i), [0, 10]);

        var result = Apply(Schema(["a", "b"], X), rows, labels, Smote(), seed: 7);

        var values = Synthetic(result.Rows, 22, 0);
        Assert.Equal(18, values.Count);
        Assert.All(values, v => Assert.InRange(v, 0, 10));
        Assert.Contains(values, v => v > 0 && v < 10 && v != Math.Round(v));
        Assert.All(result.Labels.Skip(22), l => Assert.Equal("b", l));
    }

    [Fact]
    public void Apply_Smote_UsesOneUForAllColumnsOfARow()
    {
        // Minority (0, 0) and (10, 20): base + u·(neighbour − base) with the same u keeps y = 2x.
        List<string?[]> rows = [.. Enumerable.Range(0, 20).Select(i => new string?[] { Cell(i + 0.5), Cell(3 * i + 0.5) }), ["0", "0"], ["10", "20"]];
        List<string> labels = [.. Enumerable.Repeat("a", 20), "b", "b"];

        var result = Apply(Schema(["a", "b"], X, Y), rows, labels, Smote(), seed: 3);

        var x = Synthetic(result.Rows, 22, 0);
        var y = Synthetic(result.Rows, 22, 1);
        Assert.Equal(18, x.Count);
        Assert.All(x.Zip(y), p => Assert.Equal(2 * p.First, p.Second, 1e-4));
    }

    [Fact]
    public void Apply_Smote_NeighboursUseStandardisedDistance()
    {
        // x has std ≈ 2 900, y ≈ 0.3. Minority A (0, 0), B (0, 1), C (30, 0), D (30, 1): standardised, A's nearest
        // is C and B's is D (horizontal segments, y stays 0 or 1); raw Euclidean would pair A–B and C–D instead.
        List<string?[]> rows = [.. Enumerable.Range(0, 100).Select(i => new string?[] { Cell(100.5 * i), Cell(i % 10 / 10.0 + 0.05) }),
            ["0", "0"], ["0", "1"], ["30", "0"], ["30", "1"]];
        List<string> labels = [.. Enumerable.Repeat("a", 100), .. Enumerable.Repeat("b", 4)];

        var result = Apply(Schema(["a", "b"], X, Y), rows, labels, Smote(neighbors: 1), seed: 5);

        var x = Synthetic(result.Rows, 104, 0);
        var y = Synthetic(result.Rows, 104, 1);
        Assert.Equal(96, y.Count);
        Assert.All(y, v => Assert.True(v is 0 or 1, $"y = {v}"));
        Assert.Contains(x, v => v > 0 && v < 30);
    }

    [Fact]
    public void Apply_SmoteOneNeighbour_InterpolatesOnlyTowardsNearest()
    {
        // Minority 0, 1, 100, 101 with k = 1: pairs 0–1 and 100–101, never a value in (1, 100).
        var (rows, labels) = OneColumn(Enumerable.Range(0, 30).Select(i => i * 5 + 0.5), [0, 1, 100, 101]);

        var result = Apply(Schema(["a", "b"], X), rows, labels, Smote(neighbors: 1), seed: 2);

        var values = Synthetic(result.Rows, 34, 0);
        Assert.Equal(26, values.Count);
        Assert.All(values, v => Assert.True(v is >= 0 and <= 1 or >= 100 and <= 101, $"value {v}"));
    }

    [Fact]
    public void Apply_Smote_CopiesNonNumericCellsAndKeepsMissingBaseCells()
    {
        List<string?[]> rows = [.. Enumerable.Range(0, 30).Select(i => new string?[] { "Rome", Cell(i + 0.5) }), ["Oslo", "1.5"], ["Lima", "2.5"], ["Pisa", null]];
        List<string> labels = [.. Enumerable.Repeat("a", 30), "b", "b", "b"];

        var result = Apply(Schema(["a", "b"], City, X), rows, labels, Smote(), seed: 4);

        var synthetic = result.Rows.Skip(33).ToList();
        Assert.Equal(27, synthetic.Count);
        Assert.All(synthetic, r => Assert.Contains(r[0], new[] { "Oslo", "Lima", "Pisa" }));
        // Pisa's value is missing: a row based on it keeps the missing cell; others keep their own value when paired with it.
        Assert.All(synthetic, r => Assert.Equal(r[0] == "Pisa", r[1] is null));
        Assert.Contains(synthetic, r => r[0] == "Pisa");
        Assert.All(synthetic.Where(r => r[1] is not null), r => Assert.InRange(FeatureRows.ToSingle(r[1]), 1.5f, 2.5f));
    }

    [Fact]
    public void Apply_IntegerColumn_SyntheticValuesStayInteger()
    {
        var (rows, labels) = OneColumn(Enumerable.Range(0, 20).Select(i => (double)i), [0, 10]);

        var result = Apply(Schema(["a", "b"], X), rows, labels, Smote(), seed: 7);

        var cells = result.Rows.Skip(22).Select(r => r[0]!).ToList();
        Assert.Equal(18, cells.Count);
        Assert.All(cells, c => Assert.Matches("^[0-9]+$", c));
        Assert.All(cells, c => Assert.InRange(int.Parse(c, CultureInfo.InvariantCulture), 0, 10));
        Assert.Contains(cells, c => c is not ("0" or "10"));
    }

    [Fact]
    public void Apply_OriginalRows_UnchangedAndFirst()
    {
        var (rows, labels) = OneColumn([1.5, 2.5, 3.5, 4.5], [7.5, 9.5]);
        var snapshot = rows.Select(r => r.ToArray()).ToList();

        var result = Apply(Schema(["a", "b"], X), rows, labels, Smote(), seed: 1);

        Assert.Equal(8, result.Rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(snapshot[i], result.Rows[i]);
            Assert.Equal(snapshot[i], rows[i]);
        }

        Assert.Equal(["a", "a", "a", "a", "b", "b", "b", "b"], result.Labels);
    }

    [Fact]
    public void Apply_SameSeed_SameRows_OtherSeed_OtherRows()
    {
        var (rows, labels) = OneColumn(Enumerable.Range(0, 20).Select(i => i + 0.5), [0.5, 3.5, 9.5]);
        var schema = Schema(["a", "b"], X);
        string Run(int seed) => string.Join(",", Apply(schema, rows, labels, Smote(), seed).Rows.Skip(23).Select(r => r[0]));

        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }

    [Fact]
    public void Apply_Jitter_NoiseStdIsNoiseTimesColumnStd()
    {
        // 2 000 jittered copies of the one "b" row (x = 1000.25, y missing), far from the training range's ends.
        List<string?[]> rows = [.. Enumerable.Range(0, 2001).Select(i => new string?[] { Cell(i + 0.5), "1.5" }), ["1000.25", null]];
        List<string> labels = [.. Enumerable.Repeat("a", 2001), "b"];
        var x = rows.Select(r => double.Parse(r[0]!, CultureInfo.InvariantCulture)).ToList();
        var columnStd = Math.Sqrt(x.Sum(v => (v - x.Average()) * (v - x.Average())) / (x.Count - 1)); // ≈ 577.9
        var spec = new AugmentationSpec { Method = AugmentationMethod.Jitter, Noise = 0.1 };

        var result = Apply(Schema(["a", "b"], X, Y), rows, labels, spec, seed: 9);

        var values = Synthetic(result.Rows, 2002, 0);
        Assert.Equal(2000, values.Count);
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        // Sample std of 2 000 normal draws has a relative standard error of about 1.6 %: allow 5 %.
        Assert.InRange(std / (0.1 * columnStd), 0.95, 1.05);
        Assert.InRange(mean, 1000.25 - 0.1 * 0.1 * columnStd, 1000.25 + 0.1 * 0.1 * columnStd);
        Assert.All(result.Rows.Skip(2002), r => Assert.Null(r[1]));
    }

    [Fact]
    public void Apply_Jitter_ClampsToTrainingRange()
    {
        // The minority row sits at the column's maximum; noise of a whole std pushes half the draws above it.
        var (rows, labels) = OneColumn(Enumerable.Range(0, 100).Select(i => i + 0.5), [99.5]);
        var spec = new AugmentationSpec { Method = AugmentationMethod.Jitter, Noise = 1 };

        var result = Apply(Schema(["a", "b"], X), rows, labels, spec, seed: 1);

        var values = Synthetic(result.Rows, 101, 0);
        Assert.Equal(99, values.Count);
        Assert.All(values, v => Assert.InRange(v, 0.5, 99.5));
        Assert.Contains(99.5, values);
        Assert.Contains(values, v => v < 99.5);
    }

    [Fact]
    public void Apply_SmoteSingleRowClass_SkippedWithNote()
    {
        var (rows, labels) = OneColumn([1.5, 2.5, 3.5, 4.5, 5.5], [7.5]);
        rows.AddRange([["8.5"], ["9.5"]]);
        labels.AddRange(["c", "c"]);

        var (_, _, report) = Apply(Schema(["a", "b", "c"], X), rows, labels, Smote(), seed: 1);

        Assert.NotNull(report);
        Assert.Equal(3, report.SyntheticRows);
        Assert.Equal(1, report.ClassCountsAfter["b"]);
        Assert.Equal(5, report.ClassCountsAfter["c"]);
        Assert.Contains("'b'", report.Note);
    }

    [Fact]
    public void Apply_NoNumericColumns_AddsNothingWithNote()
    {
        List<string?[]> rows = [["Rome"], ["Rome"], ["Rome"], ["Oslo"]];
        List<string> labels = ["a", "a", "a", "b"];

        var (outRows, _, report) = Apply(Schema(["a", "b"], City), rows, labels, Smote(), seed: 1);

        Assert.Equal(4, outRows.Count);
        Assert.NotNull(report);
        Assert.Equal(0, report.SyntheticRows);
        Assert.Equal(report.ClassCountsBefore, report.ClassCountsAfter);
        Assert.Contains("numeric", report.Note);
    }

    [Fact]
    public void Apply_Regression_Throws()
    {
        var schema = new DatasetSchema(0, X, MlTask.Regression, null, null, [Y]);

        Assert.Throws<ArgumentException>(() => Augmentation.Apply(schema, FeatureSource.FromCells([["1"], ["2"]]), ["1.5", "2.5"], Smote(), seed: 1));
    }

    [Fact]
    public void Apply_None_ReturnsTheRowsUntouchedAndNullReport()
    {
        var (rows, labels) = OneColumn([1.5, 2.5, 3.5], [7.5]);
        var source = FeatureSource.FromCells(rows);
        var regression = new DatasetSchema(0, X, MlTask.Regression, null, null, [Y]);

        var (outRows, outLabels, report) = Augmentation.Apply(Schema(["a", "b"], X), source, labels, new AugmentationSpec(), seed: 1);
        var (_, _, regressionReport) = Augmentation.Apply(regression, source, labels, new AugmentationSpec(), seed: 1);

        Assert.Null(report);
        Assert.Null(regressionReport); // training calls Apply for every task with the default spec
        Assert.Same(source, outRows); // a view of the same rows: nothing copied
        Assert.Same(labels, outLabels);
    }

    [Fact]
    public void Apply_SmoteLargeClass_SearchesSampleAndBalances()
    {
        // 5 001 minority rows: neighbours come from 5 000 random candidates.
        var (rows, labels) = OneColumn(Enumerable.Range(0, 5200).Select(i => 10000.5 + i), Enumerable.Range(0, 5001).Select(i => i + 0.25));

        var result = Apply(Schema(["a", "b"], X), rows, labels, Smote(), seed: 1);

        Assert.Equal(199, result.Report!.SyntheticRows);
        Assert.Equal(5200, result.Report.ClassCountsAfter["b"]);
        Assert.All(Synthetic(result.Rows, 10201, 0), v => Assert.InRange(v, 0.25, 5000.25));
    }
}
