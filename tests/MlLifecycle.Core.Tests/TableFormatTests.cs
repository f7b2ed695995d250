using System.Globalization;
using System.IO.Compression;
using System.Text;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;
using Parquet;
using Parquet.Schema;

namespace MlLifecycle.Core.Tests;

/// <summary>The same rows as CSV, gzip-compressed CSV and Parquet make the same table, and damaged files say what is wrong.</summary>
public class TableFormatTests
{
    /// <summary>Mixed types: a float with missing values, an integer count, a category of 40 levels, a boolean, a date and a label.</summary>
    private static (string Csv, Func<Task<byte[]>> Parquet) Mixed(int rows)
    {
        var random = new Random(8);
        var x = new double?[rows];
        var count = new int[rows];
        var city = new string[rows];
        var flag = new bool[rows];
        var when = new DateTime[rows];
        var y = new string[rows];
        var csv = new StringBuilder("x,count,city,flag,when,y\n");
        for (var r = 0; r < rows; r++)
        {
            x[r] = random.Next(10) == 0 ? null : Math.Round(random.NextDouble() * 100, 3);
            count[r] = random.Next(60);
            city[r] = $"city{random.Next(40)}";
            flag[r] = random.Next(2) == 0;
            when[r] = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(random.Next(300));
            y[r] = (x[r] ?? 50) + count[r] > 80 ? "high" : "low";
            csv.Append(CultureInfo.InvariantCulture, $"{x[r]?.ToString("R", CultureInfo.InvariantCulture)},{count[r]},{city[r]},{(flag[r] ? "true" : "false")},{when[r]:yyyy-MM-dd},{y[r]}\n");
        }

        return (csv.ToString(), async () =>
        {
            var schema = new ParquetSchema(new DataField<double?>("x"), new DataField<int>("count"), new DataField<string>("city"), new DataField<bool>("flag"), new DataField<DateTime>("when"), new DataField<string>("y"));
            using var stream = new MemoryStream();
            await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
            {
                // Two row groups, as a lake's writer makes them.
                foreach (var (start, length) in new[] { (0, rows / 2), (rows / 2, rows - (rows / 2)) })
                {
                    using var group = writer.CreateRowGroup();
                    await group.WriteAsync<double>(schema.DataFields[0], x.AsMemory(start, length));
                    await group.WriteAsync<int>(schema.DataFields[1], count.AsMemory(start, length));
                    await group.WriteAsync(schema.DataFields[2], city[start..(start + length)]);
                    await group.WriteAsync<bool>(schema.DataFields[3], flag.AsMemory(start, length));
                    await group.WriteAsync<DateTime>(schema.DataFields[4], when.AsMemory(start, length));
                    await group.WriteAsync(schema.DataFields[5], y[start..(start + length)]);
                }
            }

            return stream.ToArray();
        });
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private static Task<ColumnTable> Read(byte[] bytes, TableFormat format, MemoryBudget? budget = null) =>
        TableReader.ReadAsync(new MemoryStream(bytes), format, budget: budget, length: bytes.Length);

    [Theory]
    [InlineData("a.csv", TableFormat.Csv)]
    [InlineData("a.CSV.GZ", TableFormat.CsvGzip)]
    [InlineData("lake/part-0.parquet", TableFormat.Parquet)]
    [InlineData("a.txt", null)]
    [InlineData("a.csv.zip", null)]
    public void FormatOf_TheNameSaysTheFormat(string name, TableFormat? format) => Assert.Equal(format, TableReader.FormatOf(name));

    [Fact]
    public async Task ReadAsync_SameRowsInEveryFormat_SameSchemaAndSplit()
    {
        var (csv, parquet) = Mixed(3000);

        var tables = new[]
        {
            await Read(Encoding.UTF8.GetBytes(csv), TableFormat.Csv),
            await Read(Gzip(csv), TableFormat.CsvGzip),
            await Read(await parquet(), TableFormat.Parquet),
        };

        var schemas = tables.Select(t => SchemaInference.Infer(t, "y")).ToList();
        Assert.All(schemas, s => Assert.Equal(
            [ColumnKind.Numeric, ColumnKind.Numeric, ColumnKind.Categorical, ColumnKind.Boolean, ColumnKind.DateTime],
            s.Columns.Select(c => c.Kind)));
        foreach (var (expected, actual) in schemas.Skip(1).SelectMany(s => schemas[0].Columns.Append(schemas[0].Label).Zip(s.Columns.Append(s.Label))))
        {
            Assert.Equal(LifecycleJson.Serialize(expected with { Categories = null }, compact: true), LifecycleJson.Serialize(actual with { Categories = null }, compact: true));
        }
        var plans = tables.Zip(schemas).Select(p => ValidationPlan.Create(p.First, p.Second, new ProblemSpec { Label = "y" }, "m")).ToList();
        Assert.All(plans, p => Assert.Equal(plans[0].Split.Test, p.Split.Test));
        Assert.All(plans, p => Assert.Equal(plans[0].Folds.Select(f => f.Validation), p.Folds.Select(f => f.Validation)));
        var features = tables.Zip(schemas).Select(p => FeatureRows.FromTable(p.First, p.Second).Features).ToList();
        var inputs = FeatureRows.Inputs(schemas[0]);
        Assert.All(features.Skip(1), f => Assert.All(inputs, input => Assert.All(Enumerable.Range(0, 3000), r =>
            Assert.Equal(Value(input, features[0], r), Value(input, f, r)))));

        static string Value(InputColumn input, FeatureSource rows, int r) =>
            input.Number is { } number ? number(rows, r).ToString("R", CultureInfo.InvariantCulture) : input.Text!(rows, r);
    }

    [Fact]
    public async Task ReadAsync_TruncatedParquet_IsMalformedParquet()
    {
        var bytes = await Mixed(100).Parquet();

        var ex = await Assert.ThrowsAsync<DataValidationException>(() => Read(bytes[..(bytes.Length / 2)], TableFormat.Parquet));

        Assert.Equal(AnomalyCodes.MalformedParquet, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_CsvNamedParquet_IsMalformedParquet()
    {
        var ex = await Assert.ThrowsAsync<DataValidationException>(() => Read(Encoding.UTF8.GetBytes("x,y\n1,a\n2,b\n"), TableFormat.Parquet));

        Assert.Equal(AnomalyCodes.MalformedParquet, ex.Code);
    }

    [Fact]
    public async Task ReadAsync_NestedParquetColumn_IsNamed()
    {
        var schema = new ParquetSchema(new DataField<int>("id"), new ListField("tags", new DataField<string>("element")));
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>(schema.DataFields[0], new[] { 1, 2 });
            await group.WriteAsync(schema.DataFields[1], ["a", "b", "c"], new int[] { 0, 1, 0 });
        }

        var ex = await Assert.ThrowsAsync<DataValidationException>(() => Read(stream.ToArray(), TableFormat.Parquet));

        Assert.Equal((AnomalyCodes.NestedColumn, "tags"), (ex.Code, ex.Column));
        Assert.Contains("nested types (list, map, struct)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_GzNameOnPlainCsv_IsInvalidGzip()
    {
        var ex = await Assert.ThrowsAsync<DataValidationException>(() => Read(Encoding.UTF8.GetBytes("x,y\n1,a\n2,b\n"), TableFormat.CsvGzip));

        Assert.Equal(AnomalyCodes.InvalidGzip, ex.Code);
    }

    /// <summary>A small gzip that inflates past the budget is stopped while it inflates, after its first rows, not at the end.</summary>
    [Fact]
    public async Task ReadAsync_GzipInflatingPastTheBudget_IsOverMemoryBudget()
    {
        var csv = "x,y\n" + string.Concat(Enumerable.Repeat("1.5,a\n", 1_000_000));
        var bytes = Gzip(csv);
        var budget = new MemoryBudget(MemoryBudget.BaseMb + 10);

        var ex = await Assert.ThrowsAsync<DataValidationException>(() => Read(bytes, TableFormat.CsvGzip, budget));

        Assert.Equal(AnomalyCodes.OverMemoryBudget, ex.Code);
        Assert.Contains("estimated from its first 65,536 rows", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"memory budget of {MemoryBudget.BaseMb + 10:N0} MB", ex.Message, StringComparison.Ordinal);
        Assert.True(bytes.Length < 100_000, $"{bytes.Length} bytes compressed");
    }

    [Fact]
    public async Task ReadAsync_ParquetOverTheBudget_IsRefusedFromItsMetadata()
    {
        var bytes = await Mixed(3000).Parquet();

        var ex = await Assert.ThrowsAsync<DataValidationException>(() => Read(bytes, TableFormat.Parquet, new MemoryBudget(MemoryBudget.BaseMb + 0.1)));

        Assert.Equal(AnomalyCodes.OverMemoryBudget, ex.Code);
        Assert.StartsWith("The data has 3,000 rows × 6 columns (in its Parquet metadata)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_WithinTheBudget_ReadsEveryRow()
    {
        var (csv, _) = Mixed(70_000);

        var table = await Read(Encoding.UTF8.GetBytes(csv), TableFormat.Csv, new MemoryBudget(4096));

        Assert.Equal(70_000, table.RowCount);
    }

    [Fact]
    public void MemoryBudget_MaxRows_IsTheLargestTableItAccepts()
    {
        var budget = new MemoryBudget(4096);
        var max = budget.MaxRows(20);

        budget.Check(max, 20, "test");
        Assert.Throws<DataValidationException>(() => budget.Check(max + 1000, 20, "test"));
        Assert.InRange(MemoryBudget.PeakMb(max, 20, trainings: 1), 4095, 4096);
        Assert.False(budget.Fits(max, 20, trainings: 2)); // the two trainings on every row then run one after the other
    }

    /// <summary>ML.NET's own trees hold about 15 times LightGBM's memory per cell (measured): a budget holds fewer of their rows.</summary>
    [Fact]
    public void MemoryBudget_MlNetTrees_FitFewerRowsThanLightGbm()
    {
        var (small, large) = (new MemoryBudget(2048), new MemoryBudget(4096));

        Assert.True(small.Fits(1_000_000, 20, trainings: 1, Trainers.FastTree));
        Assert.False(small.Fits(2_000_000, 20, trainings: 1, Trainers.FastForest));
        Assert.True(small.Fits(2_000_000, 20, trainings: 1, Trainers.LightGbm));
        Assert.True(small.Fits(2_000_000, 20, trainings: 1, Trainers.Linear));
        Assert.True(large.Fits(10_000_000, 20, trainings: 1, Trainers.LightGbm));
        Assert.False(large.Fits(10_000_000, 20, trainings: 1, Trainers.Linear));
    }
}
