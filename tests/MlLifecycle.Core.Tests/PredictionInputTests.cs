using System.Text.Json;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class PredictionInputTests
{
    private static readonly DatasetSchema Schema = new(
        100,
        new ColumnSchema("y", ColumnKind.Categorical, 0, 2, null, null, ["a", "b"]),
        MlTask.BinaryClassification,
        ["a", "b"],
        "b",
        [
            new ColumnSchema("age", ColumnKind.Numeric, 0, 50, 18, 90, null),
            new ColumnSchema("city", ColumnKind.Categorical, 0, 3, null, null, ["Oslo", "Rome", "Lima"]),
            new ColumnSchema("id", ColumnKind.Categorical, 0, 100, null, null, null, Ignored: "ID-like"),
            new ColumnSchema("vip", ColumnKind.Boolean, 0, 2, null, null, ["yes", "no"]),
        ]);

    private static List<string?[]> Parse(string json) => PredictionInput.FromJson(JsonDocument.Parse(json).RootElement, Schema);

    [Fact]
    public void FromJson_SingleObject_ReturnsFeaturesInSchemaOrder()
    {
        var rows = Parse("""{"city": "Rome", "age": 41.5, "extra": true, "vip": true}""");

        Assert.Equal("41.5|Rome|true", string.Join('|', Assert.Single(rows)));
    }

    [Fact]
    public void FromJson_RowsArray_ParsesEachRowAndIgnoresIgnoredColumns()
    {
        var rows = Parse("""{"rows": [{"age": 30, "city": "Oslo", "vip": "yes"}, {"AGE": "31", "City": null, "vip": false}]}""");

        Assert.Equal(2, rows.Count);
        Assert.Equal("31", rows[1][0]);
        Assert.Null(rows[1][1]);
    }

    [Fact]
    public void FromJson_MissingField_NamesFieldAndRow()
    {
        var ex = Assert.Throws<InvalidInputException>(() => Parse("""{"rows": [{"age": 30, "city": "Oslo", "vip": "no"}, {"age": 30}]}"""));

        Assert.Equal("city", ex.Field);
        Assert.Equal(1, ex.Row);
        Assert.Contains("'city' is required", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"age": "old", "city": "Oslo", "vip": "no"}""")]
    [InlineData("""{"age": true, "city": "Oslo", "vip": "no"}""")]
    [InlineData("""{"age": [1], "city": "Oslo", "vip": "no"}""")]
    public void FromJson_MistypedNumber_NamesField(string json)
    {
        var ex = Assert.Throws<InvalidInputException>(() => Parse(json));

        Assert.Equal("age", ex.Field);
        Assert.Contains("must be a number", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("""{"rows": []}""")]
    [InlineData("""[1, 2]""")]
    public void FromJson_NotRows_Throws(string json) => Assert.Throws<InvalidInputException>(() => Parse(json));

    [Fact]
    public void FromTable_NotANumber_NamesFieldAndRowInTheWholeFile()
    {
        var table = new TabularData(["age", "city", "vip"], [["30", "Oslo", "no"], ["old", "Rome", "yes"]]);

        var ex = Assert.Throws<InvalidInputException>(() => PredictionInput.FromTable(table, Schema, firstRow: 20_000));

        Assert.Equal("age", ex.Field);
        Assert.Equal(20_001, ex.Row);
        Assert.Contains("(row 20001)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromTable_MissingColumn_NamesIt()
    {
        var table = new TabularData(["age", "vip"], [["3", "no"]]);

        var ex = Assert.Throws<InvalidInputException>(() => PredictionInput.FromTable(table, Schema));

        Assert.Equal("city", ex.Field);
    }
}
