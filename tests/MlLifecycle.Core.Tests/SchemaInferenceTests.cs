using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Tests;

public class SchemaInferenceTests
{
    private static ColumnTable Table(string[] columns, params string?[][] rows) => ColumnTable.FromRows(columns, rows);

    [Theory]
    [InlineData("2024-03-01", 2024, 3, 1)]
    [InlineData("2024/3/1 13:45", 2024, 3, 1)]
    [InlineData("3/1/2024", 2024, 3, 1)]
    [InlineData("Mar 01 2024", 2024, 3, 1)]
    [InlineData("March 1, 2024", 2024, 3, 1)]
    [InlineData("1 Mar 2024", 2024, 3, 1)]
    [InlineData("01-Mar-2024", 2024, 3, 1)]
    [InlineData("Sep 9 1998", 1998, 9, 9)]
    public void TryParseDate_CommonFormats_GiveTheDay(string text, int year, int month, int day)
    {
        Assert.True(SchemaInference.TryParseDate(text, out var date));
        Assert.Equal(new DateTime(year, month, day), date.Date);
    }

    [Theory]
    [InlineData("Foo 12 1998")]
    [InlineData("12-34")]
    [InlineData("May")]
    [InlineData("1998")]
    [InlineData("Jun 31 1998")]
    public void TryParseDate_NotADate_IsRejected(string text) => Assert.False(SchemaInference.TryParseDate(text, out _));

    [Fact]
    public void Infer_MonthNameDates_AreDates()
    {
        var table = Table(["released", "y"], ["Jun 12 1998", "1"], ["Aug 07 1998", "2"], ["Dec 25 2001", "3"], ["Jan 01 2005", "4"]);

        Assert.Equal(ColumnKind.DateTime, SchemaInference.Infer(table, "y").Columns.Single(c => c.Name == "released").Kind);
    }

    [Fact]
    public void Infer_MixedColumns_DescribesKindsMissingAndRanges()
    {
        var table = Table(
            ["age", "city", "y"],
            ["30", "Oslo", "yes"],
            ["40", "Rome", "no"],
            [null, "Oslo", "no"],
            ["-5.5", null, "yes"]);

        var schema = SchemaInference.Infer(table, "y");

        var age = schema.Columns.Single(c => c.Name == "age");
        Assert.Equal(ColumnKind.Numeric, age.Kind);
        Assert.Equal(1, age.Missing);
        Assert.Equal(-5.5, age.Min);
        Assert.Equal(40, age.Max);
        var city = schema.Columns.Single(c => c.Name == "city");
        Assert.Equal(ColumnKind.Categorical, city.Kind);
        Assert.Equal(["Oslo", "Rome"], city.Categories);
        Assert.Equal(2, city.Distinct);
        Assert.Equal(4, schema.Rows);
    }

    [Fact]
    public void Infer_TwoStringClasses_IsBinaryWithYesPositive()
    {
        var schema = SchemaInference.Infer(Table(["x", "y"], ["1", "no"], ["2", "no"], ["3", "yes"]), "y");

        Assert.Equal(MlTask.BinaryClassification, schema.Task);
        Assert.Equal(["no", "yes"], schema.Classes);
        Assert.Equal("yes", schema.PositiveClass);
    }

    [Fact]
    public void Infer_BinaryWithoutConventionalName_MinorityIsPositive()
    {
        var schema = SchemaInference.Infer(Table(["x", "class"], ["1", "good"], ["2", "good"], ["3", "bad"]), "class");

        Assert.Equal("bad", schema.PositiveClass);
    }

    [Fact]
    public void Infer_ThreeStringClasses_IsMulticlass()
    {
        var schema = SchemaInference.Infer(Table(["x", "y"], ["1", "a"], ["2", "b"], ["3", "c"]), "y");

        Assert.Equal(MlTask.MulticlassClassification, schema.Task);
        Assert.Null(schema.PositiveClass);
    }

    [Fact]
    public void Infer_FewIntegerValues_IsMulticlassInNumericOrder()
    {
        var schema = SchemaInference.Infer(Table(["x", "y"], ["1", "10"], ["2", "9"], ["3", "1"], ["4", "9"]), "y");

        Assert.Equal(MlTask.MulticlassClassification, schema.Task);
        Assert.Equal(["1", "9", "10"], schema.Classes);
    }

    [Fact]
    public void Infer_RealValuedLabel_IsRegression()
    {
        var schema = SchemaInference.Infer(Table(["x", "y"], ["1", "1.5"], ["2", "2.5"], ["3", "3.25"]), "y");

        Assert.Equal(MlTask.Regression, schema.Task);
    }

    [Fact]
    public void Infer_NoLabelGiven_UsesLastColumn()
    {
        var schema = SchemaInference.Infer(Table(["x", "target"], ["1", "a"], ["2", "b"]), null);

        Assert.Equal("target", schema.Label.Name);
    }

    [Fact]
    public void Infer_LabelNameDiffersInCase_FindsColumn()
    {
        var schema = SchemaInference.Infer(Table(["x", "Class"], ["1", "a"], ["2", "b"]), "class");

        Assert.Equal("Class", schema.Label.Name);
    }

    [Fact]
    public void Infer_MissingLabelColumn_ThrowsNamingIt()
    {
        var ex = Assert.Throws<DataValidationException>(() => SchemaInference.Infer(Table(["x", "y"], ["1", "a"]), "label"));

        Assert.Equal(AnomalyCodes.MissingLabel, ex.Code);
        Assert.Equal("label", ex.Column);
    }

    [Fact]
    public void Infer_ConstantLabel_Throws()
    {
        var ex = Assert.Throws<DataValidationException>(() => SchemaInference.Infer(Table(["x", "y"], ["1", "a"], ["2", "a"]), "y"));

        Assert.Equal(AnomalyCodes.ConstantLabel, ex.Code);
    }

    [Fact]
    public void Infer_RowsWithoutLabel_AreNotCounted()
    {
        var schema = SchemaInference.Infer(Table(["x", "y"], ["1", "a"], ["2", null], ["3", "b"]), "y");

        Assert.Equal(2, schema.Rows);
    }

    [Fact]
    public void Infer_IdAndConstantColumns_AreIgnored()
    {
        var rows = Enumerable.Range(0, 30).Select(i => new string?[] { $"id-{i}", "same", (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture), i % 2 == 0 ? "a" : "b" }).ToArray();

        var schema = SchemaInference.Infer(Table(["id", "const", "x", "y"], rows), "y");

        Assert.StartsWith("ID-like", schema.Columns.Single(c => c.Name == "id").Ignored);
        Assert.Equal("constant", schema.Columns.Single(c => c.Name == "const").Ignored);
        Assert.Equal(["x"], schema.Features.Select(f => f.Name));
    }
}
