using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class HistoryFieldsTests
{
    private static readonly ProblemSpec LagSpec = new()
    {
        Features = new FeaturesSpec { OrderBy = "day", Entity = "store", Lags = new() { ["sales"] = [1, 2] } },
    };

    /// <summary>Two stores, rows shuffled in the file: store a sells 10, 20, 30, 40 on days 1..4, store b 5, 6, 7.</summary>
    private static ColumnTable Shuffled() => ColumnTable.FromRows(
        ["day", "store", "sales", "y"],
        [
            ["3", "a", "30", "x"], ["1", "b", "5", "x"], ["2", "a", "20", "y"], ["4", "a", "40", "y"],
            ["3", "b", "7", "x"], ["1", "a", "10", "y"], ["2", "b", "6", "x"],
        ]);

    private static List<string?> Column(ColumnTable t, string name) => TestRows.Texts(t, name);

    [Fact]
    public void Add_LagsLookBackPerEntityInTimeOrder_KeepingFileOrder()
    {
        var table = HistoryFields.Add(Shuffled(), LagSpec);

        Assert.Equal(["day", "store", "sales", "y", "sales_lag1", "sales_lag2"], table.Names);
        Assert.Equal<string?>(["3", "1", "2", "4", "3", "1", "2"], Column(table, "day"));
        Assert.Equal<string?>(["20", null, "10", "30", "6", null, "5"], Column(table, "sales_lag1"));
        Assert.Equal<string?>(["10", null, null, "20", "5", null, null], Column(table, "sales_lag2"));
    }

    [Fact]
    public void Add_NeverLooksAhead_ChangingLaterRowsLeavesEarlierHistoryUnchanged()
    {
        var random = new Random(4);
        var rows = Enumerable.Range(0, 200).Select(i => new string?[] { (i * 7 % 200).ToString(CultureInfo.InvariantCulture), $"s{i % 3}", random.Next(100).ToString(CultureInfo.InvariantCulture), "y" }).ToList();
        var spec = LagSpec with { Features = LagSpec.Features! with { Lags = new() { ["sales"] = [1, 3] }, Rolling = [new RollingSpec("sales", 5, [RollingStat.Mean, RollingStat.Max])] } };
        var before = HistoryFields.Add(ColumnTable.FromRows(["day", "store", "sales", "y"], rows), spec);

        // Every row from day 120 on gets new sales: no field of an earlier row may change.
        var changed = rows.Select(r => int.Parse(r[0]!, CultureInfo.InvariantCulture) >= 120 ? new[] { r[0], r[1], "999", r[3] } : r).ToList();
        var after = HistoryFields.Add(ColumnTable.FromRows(["day", "store", "sales", "y"], changed), spec);

        var fields = Enumerable.Range(1, 5).Select(k => before.IndexOf($"sales_lag{k}")).ToList();
        var earlier = Enumerable.Range(0, rows.Count).Where(i => int.Parse(rows[i][0]!, CultureInfo.InvariantCulture) <= 120).ToList();
        Assert.Equal(121, earlier.Count); // days 0..120, including day 120, whose own value changed but whose history did not
        Assert.All(earlier, i => Assert.Equal(fields.Select(f => before[f].Text(i)), fields.Select(f => after[f].Text(i))));
        Assert.Contains(Enumerable.Range(0, rows.Count), i => before[fields[0]].Text(i) != after[fields[0]].Text(i));
    }

    [Fact]
    public void LagAndRollingFeatures_AreComputedFromHistoryFields()
    {
        var spec = new ProblemSpec
        {
            Features = new FeaturesSpec { OrderBy = "day", Lags = new() { ["sales"] = [2] }, Rolling = [new RollingSpec("sales", 3, [RollingStat.Mean, RollingStat.Min, RollingStat.Max])] },
        };
        var raw = ColumnTable.FromRows(["day", "sales", "y"], [["1", "5", "a"], ["2", "3", "b"], ["3", "7", "a"], ["4", "1", "b"]]);
        var (table, schema) = HistoryFields.Declare(raw, SchemaInference.Infer(raw, "y"), spec);
        var (rows, _) = FeatureRows.FromTable(table, schema);
        var inputs = FeatureRows.Inputs(schema);

        float[] Values(string name) => [.. Enumerable.Range(0, rows.Count).Select(r => inputs.Single(c => c.Name == name).Number!(rows, r))];

        Assert.Equal(["lag(sales, 2)", "rolling_mean(sales, 3)", "rolling_min(sales, 3)", "rolling_max(sales, 3)"], schema.Derived!.Select(d => d.Name));
        Assert.DoesNotContain(inputs, c => c.Name.StartsWith('f') && schema.Features[c.Feature].History is not null);
        Assert.Equal([float.NaN, float.NaN, 5, 3], Values("d0_lag"));
        Assert.Equal([float.NaN, 5, 4, 5], Values("d1_mean"));   // day 4: mean of 7, 3, 5
        Assert.Equal([float.NaN, 5, 3, 3], Values("d2_min"));
        Assert.Equal([float.NaN, 5, 5, 7], Values("d3_max"));
        Assert.Equal("value of 'sales' 3 row(s) earlier, ordered by 'day'", schema.Features.Single(f => f.Name == "sales_lag3").History);
        Assert.Equal("rolling_mean(sales, 3)", FeatureRows.Describe(schema, "d1_mean"));
        Assert.Equal("day", FeatureRows.Describe(schema, "f0"));
        Assert.Equal("f-1", FeatureRows.Describe(schema, "f-1"));
    }

    [Fact]
    public void Add_OnlyTheOffsetsUsed_BecomeFields()
    {
        var spec = new ProblemSpec { Features = new FeaturesSpec { OrderBy = "day", Entity = "store", Lags = new() { ["sales"] = [7, 1] }, Rolling = [new RollingSpec("sales", 3)] } };

        var table = HistoryFields.Add(Shuffled(), spec);

        Assert.Equal(["day", "store", "sales", "y", "sales_lag1", "sales_lag2", "sales_lag3", "sales_lag7"], table.Names);
    }

    [Theory]
    [InlineData("day,store,sales,y\n1,a,10,x\n1,a,11,y\n", "AmbiguousHistory", "day")]          // two rows of one store on one day
    [InlineData("day,store,sales,y\n1,a,10,x\n,a,11,y\n", "AmbiguousHistory", "day")]           // a row not placed in time
    [InlineData("day,store,sales,y\n1,a,10,x\n2,,11,y\n", "AmbiguousHistory", "store")]         // a row of no entity
    [InlineData("day,store,sales,y\n1,a,10,x\nsoon,a,11,y\n3,a,12,x\n", "AmbiguousHistory", "day")] // a time that is no date or number
    [InlineData("day,store,sales,sales_lag1,y\n1,a,10,3,x\n2,a,11,4,y\n", "InvalidSpec", "sales_lag1")] // the name is taken
    public void Add_RowsThatCannotBeOrderedOrNamed_AreRejected(string csv, string code, string column)
    {
        var data = TableReader.ReadCsv(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)));

        var ex = Assert.Throws<DataValidationException>(() => HistoryFields.Add(data, LagSpec));

        Assert.Equal(code, ex.Code);
        Assert.Equal(column, ex.Column);
    }

    [Fact]
    public void Add_WithoutEntity_SameDayInTwoSeriesIsRejected()
    {
        var spec = LagSpec with { Features = LagSpec.Features! with { Entity = null } };

        var ex = Assert.Throws<DataValidationException>(() => HistoryFields.Add(Shuffled(), spec));

        Assert.Contains("set features.entity", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "sales", "features.orderBy")]
    [InlineData("day", "store", "store")]
    public void Add_WithoutOrderOrOnTextColumn_IsInvalidSpec(string? orderBy, string column, string field)
    {
        var spec = new ProblemSpec { Features = new FeaturesSpec { OrderBy = orderBy, Lags = new() { [column] = [1] } } };

        var ex = Assert.Throws<DataValidationException>(() => HistoryFields.Add(Shuffled(), spec));

        Assert.Equal(AnomalyCodes.InvalidSpec, ex.Code);
        Assert.Equal(field, ex.Column);
    }

    [Fact]
    public void TrainedWithLags_SavedAndReloadedModel_PredictsLikeTheInMemoryOne()
    {
        var random = new Random(2);
        var sales = 50.0;
        var raw = Enumerable.Range(0, 300).Select(i =>
        {
            sales = 0.8 * sales + 10 + random.NextDouble() * 4;
            return new string?[] { i.ToString(CultureInfo.InvariantCulture), sales.ToString("F2", CultureInfo.InvariantCulture), (sales + random.NextDouble()).ToString("F2", CultureInfo.InvariantCulture) };
        }).ToList();
        var spec = new ProblemSpec { Features = new FeaturesSpec { OrderBy = "t", Lags = new() { ["sales"] = [1] }, Rolling = [new RollingSpec("sales", 4)] } };
        var data = ColumnTable.FromRows(["t", "sales", "next"], raw);
        var (table, schema) = HistoryFields.Declare(data, SchemaInference.Infer(data, "next"), spec);
        var (rows, labels) = TestRows.Cells(table, schema);

        var model = TrainedModel.Train(schema, rows[..250], labels[..250], seed: 3, spec);
        using var zip = new MemoryStream();
        model.Save(zip);
        zip.Position = 0;
        var loaded = TrainedModel.Load(zip, schema, model.Trainer);

        Assert.Equal(model.Predict(rows[250..]).Select(p => p.Score), loaded.Predict(rows[250..]).Select(p => p.Score));
        Assert.Contains(model.Details.Transforms, t => t.StartsWith("d1_mean:", StringComparison.Ordinal));
    }
}
