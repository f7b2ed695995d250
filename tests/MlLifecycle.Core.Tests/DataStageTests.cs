using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Tests;

public class InspectionTests
{
    private static ColumnTable Table(string[] columns, params string?[][] rows) => ColumnTable.FromRows(columns, rows);

    private static string I(int i) => i.ToString(CultureInfo.InvariantCulture);

    private static Inspection Inspect(ColumnTable table, ProblemSpec? spec = null) => SchemaInference.Inspect(table, spec ?? new ProblemSpec { Label = "y" });

    [Fact]
    public void Inspect_InfersBooleanDateTextAndCategorical()
    {
        var rows = Enumerable.Range(0, 12).Select(i => new string?[]
        {
            i % 2 == 0 ? "Yes" : "no",
            $"2024-01-{i + 1:D2}",
            $"the quick brown fox number {i} jumps",
            i % 3 == 0 ? "red" : "blue",
            i % 2 == 0 ? "a" : "b",
        }).ToArray();

        var schema = Inspect(Table(["flag", "when", "note", "color", "y"], rows)).Schema;

        Assert.Equal(
            [ColumnKind.Boolean, ColumnKind.DateTime, ColumnKind.Text, ColumnKind.Categorical],
            schema.Columns.Select(c => c.Kind));
    }

    [Fact]
    public void Inspect_RangesLikeDates_StayCategorical()
    {
        var schema = Inspect(Table(["size", "y"], ["10-14", "a"], ["15-19", "b"], ["20-24", "a"])).Schema;

        Assert.Equal(ColumnKind.Categorical, schema.Columns[0].Kind);
    }

    [Fact]
    public void Inspect_MostlyNumericWithText_IsTypeMismatchWithRows()
    {
        var rows = Enumerable.Range(0, 20).Select(i => new string?[] { i == 7 ? "abc" : I(i), i % 2 == 0 ? "a" : "b" }).ToArray();

        var inspection = Inspect(Table(["x", "y"], rows));

        var anomaly = Assert.Single(inspection.Anomalies, a => a.Severity == Severity.Error);
        Assert.Equal(AnomalyCodes.TypeMismatch, anomaly.Code);
        Assert.Equal("x", anomaly.Column);
        Assert.Equal([8], anomaly.Rows);
        Assert.True(inspection.Rejected);
    }

    [Fact]
    public void Inspect_DeclaredCategorical_AcceptsMixedValues()
    {
        var rows = Enumerable.Range(0, 20).Select(i => new string?[] { i == 7 ? "abc" : I(i), i % 2 == 0 ? "a" : "b" }).ToArray();

        var inspection = Inspect(Table(["x", "y"], rows), new ProblemSpec { Label = "y", Columns = new() { ["x"] = ColumnRole.Categorical } });

        Assert.False(inspection.Rejected);
        Assert.Equal(ColumnKind.Categorical, inspection.Schema.Columns[0].Kind);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("inf")]
    [InlineData("-Infinity")]
    public void Inspect_NonFiniteNumber_IsRejected(string value)
    {
        var inspection = Inspect(Table(["x", "y"], ["1", "a"], [value, "b"], ["3", "a"]));

        var anomaly = Assert.Single(inspection.Anomalies, a => a.Severity == Severity.Error);
        Assert.Equal(AnomalyCodes.NonFiniteValue, anomaly.Code);
        Assert.Equal([2], anomaly.Rows);
    }

    [Fact]
    public void Inspect_AllMissingColumn_IsRejectedUnlessDropped()
    {
        var table = Table(["x", "empty", "y"], ["1", null, "a"], ["2", null, "b"]);

        var rejected = Inspect(table);
        var dropped = Inspect(table, new ProblemSpec { Label = "y", Cleaning = new CleaningSpec { DropEmptyColumns = true } });

        Assert.Equal(AnomalyCodes.AllMissingColumn, Assert.Single(rejected.Anomalies, a => a.Severity == Severity.Error).Code);
        Assert.False(dropped.Rejected);
        Assert.Equal("all values missing", dropped.Schema.Columns.Single(c => c.Name == "empty").Ignored);
    }

    [Theory]
    [InlineData("=cmd|' /C calc'!A0")]
    [InlineData("@SUM(A1:A2)")]
    [InlineData("+HYPERLINK(\"x\")")]
    [InlineData("\t=1+2")]
    public void Inspect_FormulaCell_IsCsvInjection(string cell)
    {
        var inspection = Inspect(Table(["name", "y"], ["ok", "a"], [cell, "b"], ["fine", "a"]));

        var anomaly = Assert.Single(inspection.Anomalies, a => a.Severity == Severity.Error);
        Assert.Equal(AnomalyCodes.CsvInjection, anomaly.Code);
        Assert.Equal("name", anomaly.Column);
    }

    [Theory]
    [InlineData("-")]
    [InlineData("-5")]
    [InlineData("+1 555 0100")]
    [InlineData("-none-")]
    public void IsFormula_OrdinaryValues_AreNot(string cell) => Assert.False(SchemaInference.IsFormula(cell));

    [Fact]
    public void Inspect_DeclaredPositiveClassAndTask_AreUsed()
    {
        var table = Table(["x", "y"], ["1", "1"], ["2", "2"], ["3", "3"], ["4", "2"]);

        var regression = Inspect(table, new ProblemSpec { Label = "y", Task = MlTask.Regression });
        var binary = Inspect(Table(["x", "y"], ["1", "no"], ["2", "yes"]), new ProblemSpec { Label = "y", PositiveClass = "no" });

        Assert.Equal(MlTask.Regression, regression.Schema.Task);
        Assert.Equal("no", binary.Schema.PositiveClass);
    }

    [Fact]
    public void Inspect_TaskOrPositiveClassThatDoesNotFit_IsRejected()
    {
        var threeClasses = Inspect(Table(["x", "y"], ["1", "a"], ["2", "b"], ["3", "c"]), new ProblemSpec { Label = "y", Task = MlTask.BinaryClassification });
        var textRegression = Inspect(Table(["x", "y"], ["1", "a"], ["2", "b"]), new ProblemSpec { Label = "y", Task = MlTask.Regression });
        var unknownPositive = Inspect(Table(["x", "y"], ["1", "a"], ["2", "b"]), new ProblemSpec { Label = "y", PositiveClass = "z" });

        Assert.Contains(threeClasses.Anomalies, a => a.Code == AnomalyCodes.LabelTaskMismatch);
        Assert.Contains(textRegression.Anomalies, a => a.Code == AnomalyCodes.LabelTaskMismatch);
        Assert.Contains(unknownPositive.Anomalies, a => a.Code == AnomalyCodes.UnknownPositiveClass);
    }
}

public class StatsTests
{
    private static readonly double[] Values = [1, 2, 3, 4, 100];

    [Fact]
    public void Of_HandComputedSample_MatchesEveryStatistic()
    {
        var stats = NumericStats.Of(Values)!;

        Assert.Equal(22, stats.Mean, 10);
        Assert.Equal(Math.Sqrt(7610.0 / 4), stats.Std, 10); // squared deviations 441 + 400 + 361 + 324 + 6084
        Assert.Equal(2, stats.Q1, 10);
        Assert.Equal(3, stats.Median, 10);
        Assert.Equal(4, stats.Q3, 10);
        Assert.Equal(1, stats.Mad, 10); // |x − 3| = 2, 1, 0, 1, 97 → median 1
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(1001)]
    public void Of_MedianDeviation_EqualsTheMedianOfSortedDeviations(int count)
    {
        var random = new Random(count);
        var values = Enumerable.Range(0, count).Select(_ => Math.Round(random.NextDouble() * 20, 1)).ToList();
        var median = NumericStats.Quantile([.. values.Order()], 0.5);

        var stats = NumericStats.Of(values)!;

        Assert.Equal(NumericStats.Quantile([.. values.Select(v => Math.Abs(v - median)).Order()], 0.5), stats.Mad, 12);
    }

    [Fact]
    public void CountOutliers_ThreeMethods_MatchHandComputedFences()
    {
        var stats = NumericStats.Of(Values)!;

        Assert.Equal(1, stats.CountOutliers(Values, OutlierMethod.Iqr));    // fences [−1, 7]
        Assert.Equal(0, stats.CountOutliers(Values, OutlierMethod.ZScore)); // z(100) = 78 / 43.6 = 1.79: masked by the outlier itself
        Assert.Equal(1, stats.CountOutliers(Values, OutlierMethod.Mad));    // modified z(100) = 0.6745 · 97 / 1 = 65.4
        Assert.Equal((-1.0, 7.0), stats.Fences(OutlierMethod.Iqr));
    }

    [Fact]
    public void Quantile_InterpolatesLinearly() =>
        Assert.Equal(1.75, NumericStats.Quantile([1, 2, 3, 100], 0.25), 10);
}

public class QualityReportTests
{
    [Fact]
    public void Build_CountsDuplicatesMissingClassesAndLeakage()
    {
        var rows = new List<string?[]>();
        for (var i = 0; i < 40; i++)
        {
            var label = i % 4 == 0 ? "yes" : "no";
            rows.Add([i.ToString(CultureInfo.InvariantCulture), i % 5 == 0 ? null : "c" + (i % 3), label == "yes" ? "Y" : "N", "const", label]);
        }

        rows.Add(rows[1]);
        rows.Add(rows[2]);
        var table = ColumnTable.FromRows(["x", "cat", "leak", "k", "y"], rows);
        var inspection = SchemaInference.Inspect(table, new ProblemSpec { Label = "y" });
        var cleaning = Cleaner.Clean(table, inspection.Schema, new CleaningSpec());

        var report = QualityReport.Build(table, inspection.Schema, inspection.Anomalies, cleaning);

        Assert.Equal(42, report.Rows);
        Assert.Equal(2, report.DuplicateRows);
        Assert.Equal(40, report.RowsAfterCleaning);
        Assert.Equal(8, report.ColumnStats.Single(c => c.Name == "cat").Missing); // i = 0, 5, …, 35 and the copies of rows 1, 2 have values
        Assert.Equal(new Dictionary<string, int> { ["no"] = 32, ["yes"] = 10 }, report.ClassCounts); // i % 4 == 0 → 10 yes; the two copies are "no"
        Assert.Equal(3.2, report.ImbalanceRatio!.Value, 10);
        Assert.Equal(["k"], report.ConstantColumns);
        var leak = Assert.Single(report.LeakageSuspects);
        Assert.Equal("leak", leak.Column);
        Assert.Equal(1.0, leak.Score);
        Assert.Contains(report.Anomalies, a => a.Code == AnomalyCodes.DuplicateRows && a.Count == 2);
    }

    [Fact]
    public void Build_RegressionFeatureProportionalToLabel_IsLeakageSuspect()
    {
        var rows = Enumerable.Range(0, 30).Select(i => new string?[] { (2 * i).ToString(CultureInfo.InvariantCulture), ((i * 7) % 11).ToString(CultureInfo.InvariantCulture), (i + 0.5).ToString(CultureInfo.InvariantCulture) }).ToList();
        var table = ColumnTable.FromRows(["double", "noise", "y"], rows);
        var inspection = SchemaInference.Inspect(table, new ProblemSpec { Label = "y" });

        var report = QualityReport.Build(table, inspection.Schema, inspection.Anomalies, Cleaner.Clean(table, inspection.Schema, new CleaningSpec()));

        Assert.Equal("double", Assert.Single(report.LeakageSuspects).Column);
    }
}

public class CleanerTests
{
    private static readonly ColumnTable Table = ColumnTable.FromRows(
        ["x", "c", "y"],
        [["1", "a", "p"], ["1", "a", "p"], ["2", null, "q"], ["3", "b", null], [null, "b", "q"], ["1", "a", "q"]]);

    private static DatasetSchema Schema => SchemaInference.Inspect(Table, new ProblemSpec { Label = "y" }).Schema;

    [Fact]
    public void Clean_Defaults_DropsUnlabelledAndExactDuplicatesOnly()
    {
        var result = Cleaner.Clean(Table, Schema, new CleaningSpec());

        Assert.Equal(1, result.DuplicatesRemoved);
        Assert.Equal([0, 2, 4, 5], result.Keep); // 6 − 1 without label − 1 duplicate
        Assert.Equal(0, result.MissingRowsRemoved);
    }

    [Fact]
    public void Clean_MissingDrop_DropsRowsWithMissingFeatures()
    {
        var result = Cleaner.Clean(Table, Schema, new CleaningSpec { Missing = MissingPolicy.Drop, DropDuplicates = false });

        Assert.Equal(2, result.MissingRowsRemoved);
        Assert.Equal([0, 1, 5], result.Keep);
    }
}

public class SchemaValidatorTests
{
    private static readonly DatasetSchema Stored = new(
        10,
        new ColumnSchema("y", ColumnKind.Categorical, 0, 2, null, null, ["a", "b"]),
        MlTask.BinaryClassification,
        ["a", "b"],
        "b",
        [
            new ColumnSchema("age", ColumnKind.Numeric, 0, 8, 18, 65, null),
            new ColumnSchema("city", ColumnKind.Categorical, 2, 2, null, null, ["Oslo", "Rome"]),
            new ColumnSchema("vip", ColumnKind.Boolean, 0, 2, null, null, ["yes", "no"]),
        ]);

    [Fact]
    public void Validate_Batch_ReportsEachAnomalyWithCountAndRows()
    {
        var batch = ColumnTable.FromRows(
            ["age", "city", "vip", "extra"],
            [["30", "Oslo", "yes", "1"], ["70", "Lima", "maybe", "2"], ["x", null, "no", "3"], [null, "Paris", "no", "4"]]);

        var anomalies = SchemaValidator.Validate(batch, Stored, requireLabel: false);

        Assert.Contains(anomalies, a => a is { Code: AnomalyCodes.TypeMismatch, Column: "age", Count: 1, Severity: Severity.Error } && a.Rows!.SequenceEqual([3]));
        Assert.Contains(anomalies, a => a is { Code: AnomalyCodes.OutOfRange, Column: "age", Count: 1 } && a.Rows!.SequenceEqual([2]));
        Assert.Contains(anomalies, a => a is { Code: AnomalyCodes.UnexpectedMissing, Column: "age", Count: 1 });
        Assert.Contains(anomalies, a => a is { Code: AnomalyCodes.UnseenCategory, Column: "city", Count: 2 });
        Assert.Contains(anomalies, a => a is { Code: AnomalyCodes.TypeMismatch, Column: "vip", Count: 1 });
        Assert.Contains(anomalies, a => a is { Code: AnomalyCodes.ExtraColumn, Column: "extra", Severity: Severity.Warning });
        Assert.DoesNotContain(anomalies, a => a.Code == AnomalyCodes.UnexpectedMissing && a.Column == "city");
        Assert.DoesNotContain(anomalies, a => a.Column == "y");
    }

    [Fact]
    public void Validate_MissingColumn_IsError_AndLabelOnlyWhenRequired()
    {
        var batch = ColumnTable.FromRows(["age", "vip"], [["30", "no"]]);

        var inference = SchemaValidator.Validate(batch, Stored, requireLabel: false);
        var training = SchemaValidator.Validate(batch, Stored, requireLabel: true);

        Assert.Equal(["city"], inference.Where(a => a.Code == AnomalyCodes.MissingColumn).Select(a => a.Column));
        Assert.Equal(["city", "y"], training.Where(a => a.Code == AnomalyCodes.MissingColumn).Select(a => a.Column));
    }

    [Fact]
    public void SchemaCheck_FileInChunks_CountsAndNumbersRowsOverTheWholeFile()
    {
        string[] columns = ["age", "vip", "extra"];
        var rows = Enumerable.Range(0, 25).Select(i => new string?[] { i % 4 == 0 ? "x" : "30", "no", "1" }).ToList();
        var check = new SchemaCheck(Stored, requireLabel: false);

        foreach (var chunk in rows.Chunk(10))
        {
            check.Add(ColumnTable.FromRows(columns, chunk));
        }

        var anomalies = check.Anomalies();
        var whole = SchemaValidator.Validate(ColumnTable.FromRows(columns, rows), Stored, requireLabel: false);
        Assert.Equal(whole.Select(a => $"{a.Code} {a.Column} {a.Count} {string.Join(',', a.Rows ?? [])} {a.Message}"), anomalies.Select(a => $"{a.Code} {a.Column} {a.Count} {string.Join(',', a.Rows ?? [])} {a.Message}"));
        var wrongType = Assert.Single(anomalies, a => a.Code == AnomalyCodes.TypeMismatch);
        Assert.Equal(7, wrongType.Count);
        Assert.Equal([1, 5, 9, 13, 17], wrongType.Rows);
        Assert.Single(anomalies, a => a.Code == AnomalyCodes.MissingColumn && a.Column == "city");
        Assert.Single(anomalies, a => a.Code == AnomalyCodes.ExtraColumn);
    }
}
