using System.Globalization;
using System.Text;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;

namespace MlLifecycle.Core.Tests;

public class ColumnTableTests
{
    private static ColumnTable Read(string csv, IReadOnlySet<string>? textColumns = null) =>
        TableReader.ReadCsv(new MemoryStream(Encoding.UTF8.GetBytes(csv)), textColumns);

    private static string Csv(string header, IEnumerable<string> rows) => header + "\n" + string.Join("\n", rows) + "\n";

    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    [Fact]
    public void ReadCsv_FewDistinctValues_AreCodedAndKeepTheirText()
    {
        var table = Read("zip,n,y\n02134,1.0,a\n02134,2,b\nNA,1,a\n");

        var zip = Assert.IsType<CodedColumn>(table[0]);
        Assert.Equal(["02134", "02134", null], TestRows.Texts(table, "zip"));
        Assert.Equal(2134, zip.Number(0));
        Assert.True(zip.IsMissing(2));
        Assert.Equal(["1.0", "2", "1"], TestRows.Texts(table, "n"));
        Assert.Equal([1.0, 2.0, 1.0], Enumerable.Range(0, 3).Select(table[1].Number));
    }

    [Fact]
    public void ReadCsv_ManyDistinctNumbers_BecomeDoublesWithTheSameValues()
    {
        var values = Enumerable.Range(0, ColumnBuilder.MaxCodes + 500).Select(i => i * 0.37 - 100).ToList();
        var table = Read(Csv("x,y", values.Select((v, i) => $"{F(v)},{(i % 2 == 0 ? "a" : "b")}")));

        var x = Assert.IsType<NumberColumn>(table[0]);
        Assert.Equal(values, Enumerable.Range(0, values.Count).Select(x.Number));
        Assert.IsType<CodedColumn>(table[1]);
        Assert.True(table.Bytes < 12L * (values.Count + Blocks<double>.Size), $"{table.Bytes} bytes for {values.Count} rows: 8 a number, 4 a code, in blocks");
    }

    [Fact]
    public void ReadCsv_DeclaredTextColumn_KeepsEveryTextAsWritten()
    {
        var rows = Enumerable.Range(0, ColumnBuilder.MaxCodes + 10).Select(i => $"{i:D6},x").ToList();

        var table = Read(Csv("code,y", rows), new HashSet<string> { "code" });

        Assert.IsType<CodedColumn>(table[0]);
        Assert.Equal("000042", table[0].Text(42));
    }

    [Fact]
    public void Inspect_ManyNumbersThenWords_ReportsTheMismatchWithItsFirstRow()
    {
        var rows = Enumerable.Range(0, 6000).Select(i => $"{(i == 5000 ? "oops" : F(i * 1.5))},{(i % 2 == 0 ? "a" : "b")}").ToList();
        var table = Read(Csv("x,y", rows));

        var inspection = SchemaInference.Inspect(table, new ProblemSpec { Label = "y" });

        var mismatch = Assert.Single(inspection.Anomalies, a => a.Code == AnomalyCodes.TypeMismatch);
        Assert.Equal([5001], mismatch.Rows);
        Assert.Contains("'oops' in row 5001", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal(6000, inspection.Schema.Columns[0].Distinct);
    }

    [Fact]
    public void ReadCsv_ManyNumbersThenManyWords_TurnsBackIntoText()
    {
        var rows = Enumerable.Range(0, 12_000).Select(i => $"{(i < 6000 ? F(i) : $"w{i}")},{(i % 2 == 0 ? "a" : "b")}").ToList();

        var table = Read(Csv("x,y", rows));

        Assert.IsType<CodedColumn>(table[0]);
        Assert.Equal("5999", table[0].Text(5999));
        Assert.Equal("w6000", table[0].Text(6000));
        Assert.Equal(ColumnKind.Categorical, SchemaInference.Inspect(table, new ProblemSpec { Label = "y" }).Schema.Columns[0].Kind);
    }

    [Fact]
    public void TableFile_RoundTrip_KeepsEveryCell()
    {
        var rows = Enumerable.Range(0, 9000).Select(i => $"{F(i * 0.1)},{(i % 7 == 0 ? "" : $"c{i % 5}")},{(i == 17 ? "odd" : F(i))},{i % 3}").ToList();
        var table = Read(Csv("x,c,z,y", rows));
        using var stream = new MemoryStream();

        TableFile.Write(table, stream);
        stream.Position = 0;
        var read = TableFile.Read(stream);

        Assert.Equal(table.Names, read.Names);
        Assert.Equal(table.Columns.Select(c => c.GetType()), read.Columns.Select(c => c.GetType()));
        foreach (var name in table.Names)
        {
            Assert.Equal(TestRows.Texts(table, name), TestRows.Texts(read, name));
        }
    }

    [Fact]
    public void TableFile_CutShort_IsInvalidData()
    {
        using var stream = new MemoryStream();
        TableFile.Write(Read("x,y\n1,a\n2,b\n"), stream);

        Assert.Throws<InvalidDataException>(() => TableFile.Read(new MemoryStream(stream.ToArray()[..^3])));
    }

    [Fact]
    public void Retain_KeepsTheRowsInOrder()
    {
        var table = Read(Csv("x,c", Enumerable.Range(0, 5000).Select(i => $"{F(i * 0.5)},k{i % 3}")));

        table.Retain([1, 3, 4999]);

        Assert.Equal(3, table.RowCount);
        Assert.Equal(["0.5", "1.5", "2499.5"], TestRows.Texts(table, "x"));
        Assert.Equal(["k1", "k0", "k1"], TestRows.Texts(table, "c"));
    }

    /// <summary>The split hashes typed values: the same rows written another way (1.0 for 1, yes for true) land in the same parts.</summary>
    [Fact]
    public void Split_SameValuesWrittenOtherwise_LandInTheSameParts()
    {
        var plain = Enumerable.Range(0, 500).Select(i => $"{i},{(i % 2 == 0 ? "true" : "false")},c{i % 4},{(i % 3 == 0 ? "p" : "n")}").ToList();
        var other = Enumerable.Range(0, 500).Select(i => $"{i}.0,{(i % 2 == 0 ? "yes" : "no")},c{i % 4},{(i % 3 == 0 ? "p" : "n")}").ToList();

        var a = Plan(Read(Csv("x,flag,c,y", plain)));
        var b = Plan(Read(Csv("x,flag,c,y", other)));

        Assert.Equal(a.Split.Test, b.Split.Test);
        Assert.Equal(a.Split.Train, b.Split.Train);

        static ValidationPlan Plan(ColumnTable table) => ValidationPlan.Create(table, SchemaInference.Infer(table, "y"), new ProblemSpec { Label = "y" }, "m");
    }

    /// <summary>Training reads the table's columns through row indexes; serving reads cells: the same model and the same predictions.</summary>
    [Fact]
    public void Train_OnColumns_SameModelAndPredictionsAsOnCells()
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, 6000).Select(_ =>
        {
            var x = random.NextDouble() * 10;
            var city = random.Next(4);
            var missing = random.Next(10) == 0;
            return $"{(missing ? "" : F(Math.Round(x, 4)))},c{city},{(random.Next(2) == 0 ? "yes" : "no")},2024-0{1 + city}-1{city},{(x + city > 6 ? "hi" : "lo")}";
        }).ToList();
        var table = Read(Csv("x,city,flag,when,y", rows));
        var schema = SchemaInference.Infer(table, "y");
        var (columns, labels) = FeatureRows.FromTable(table, schema);
        var (cells, cellLabels) = FeatureRows.Cells(table, schema);
        int[] fit = [.. Enumerable.Range(0, 4000)], test = [.. Enumerable.Range(4000, 2000)];

        var fromColumns = TrainedModel.Train(schema, columns.Subset(fit), new Picked<string>(labels, fit), seed: 3, trainer: Trainers.LightGbm);
        var fromCells = TrainedModel.Train(schema, cells[..4000], cellLabels[..4000], seed: 3, trainer: Trainers.LightGbm);
        using var a = new MemoryStream();
        using var b = new MemoryStream();
        fromColumns.Save(a);
        fromCells.Save(b);

        Assert.Equal(a.ToArray(), b.ToArray());
        var p = fromColumns.Predict(columns.Subset(test));
        var q = fromCells.Predict(cells[4000..]);
        Assert.All(p.Zip(q), x => Assert.Equal(x.First.Probabilities![schema.PositiveClass!], x.Second.Probabilities![schema.PositiveClass!], 1e-6));
        Assert.Equal(Metrics.For(schema, new Picked<string>(labels, test), p), Metrics.For(schema, cellLabels[4000..], q));
    }

    [Fact]
    public void SplitJson_IndexesRoundTrip_InAboutAByteEach()
    {
        var random = new Random(3);
        var sample = Enumerable.Range(0, 100_000).Where(_ => random.Next(3) > 0).ToArray();
        var plan = new ValidationPlan(new DataSplit(sample, [5, 2, 9], []), CvMethod.KFold, [new Fold(0, [.. Enumerable.Range(0, 70_000)], [int.MaxValue, 0])], ["LightGbm"], 2);

        var json = LifecycleJson.Serialize(plan);
        var read = LifecycleJson.Deserialize<ValidationPlan>(json);

        Assert.Equal(sample, read.Split.Train);
        Assert.Equal([5, 2, 9], read.Split.Validation);
        Assert.Empty(read.Split.Test);
        Assert.Equal(Enumerable.Range(0, 70_000), read.Folds[0].Train);
        Assert.Equal([int.MaxValue, 0], read.Folds[0].Validation);
        Assert.True(json.Length < 1.5 * (sample.Length + 70_000), $"{json.Length} characters");
    }

    /// <summary>Above training.sampleRows, folds and tuning read a stratified sample; the split itself covers every row.</summary>
    [Fact]
    public void Plan_MoreRowsThanSampleRows_SelectsOnAStratifiedSampleKeepingEveryClass()
    {
        var rows = Enumerable.Range(0, 20_000).Select(i => $"{F(i * 0.01)},{(i % 400 == 0 ? "rare" : i % 3 == 0 ? "a" : "b")}").ToList();
        var table = Read(Csv("x,y", rows));
        var schema = SchemaInference.Infer(table, "y");
        var spec = new ProblemSpec { Label = "y", Training = new TrainingSpec { SampleRows = 2000 } };

        var plan = ValidationPlan.Create(table, schema, spec, "m");

        var sample = plan.Sample!;
        var pool = plan.Split.Train.Concat(plan.Split.Validation).ToHashSet();
        Assert.InRange(sample.Length, 1995, 2010);
        Assert.All(sample, r => Assert.Contains(r, pool));
        Assert.Equal(20_000, plan.Split.Train.Length + plan.Split.Validation.Length + plan.Split.Test.Length);
        Assert.Equal(sample, plan.Folds.SelectMany(f => f.Validation).Order());
        Assert.All(plan.SelectionTrain.Concat(plan.SelectionValidation), r => Assert.True(Array.BinarySearch(sample, r) >= 0));
        var labels = FeatureRows.Labels(table, schema);
        var rare = sample.Count(r => labels[r] == "rare");
        Assert.InRange(rare, 10, 12); // 50 rare rows of 20,000: 5 in proportion, raised to 10
        Assert.InRange(sample.Count(r => labels[r] == "a") / (double)sample.Length, 0.32, 0.35);
        Assert.Null(ValidationPlan.Create(table, schema, spec with { Training = null }, "m").Sample);
    }

    /// <summary>Retaining rows across block boundaries moves each to its place and lets emptied blocks go.</summary>
    [Fact]
    public void Retain_AcrossBlocks_KeepsEveryKeptValue()
    {
        var rows = Enumerable.Range(0, (3 * Blocks<double>.Size) + 17).Select(i => $"{F(i + 0.5)},k{i % 3}").ToList();
        var table = Read(Csv("x,c", rows));
        int[] keep = [.. Enumerable.Range(0, rows.Count).Where(i => i % 7 == 0 || i > (2 * Blocks<double>.Size) + 5)];
        var bytes = table.Bytes;

        table.Retain(keep);

        Assert.Equal(keep.Length, table.RowCount);
        Assert.Equal(keep.Select(i => F(i + 0.5)), TestRows.Texts(table, "x"));
        Assert.Equal(keep.Select(i => $"k{i % 3}"), TestRows.Texts(table, "c"));
        Assert.True(table.Bytes < bytes, $"{table.Bytes} of {bytes} bytes");
    }
}
