using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlLifecycle.Core.Data;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

[Collection(PlatformCollection.Name)]
public class TrainingApiTests(PlatformFixture platform)
{
    /// <summary>A small regression dataset: y = 2·x1 − x2 + noise, with a categorical column.</summary>
    private static byte[] RegressionCsv()
    {
        var random = new Random(1);
        var text = new StringBuilder("x1,x2,group,y\n");
        for (var i = 0; i < 300; i++)
        {
            double x1 = random.NextDouble() * 10, x2 = random.NextDouble() * 5;
            var group = (i % 3) switch { 0 => "a", 1 => "b", _ => "c" };
            text.Append(CultureInfo.InvariantCulture, $"{x1:F3},{x2:F3},{group},{2 * x1 - x2 + (group == "c" ? 3 : 0) + random.NextDouble() * 0.1:F4}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Fact]
    public async Task PostTraining_Returns202WithStatusUrl_AndTheRunSucceeds()
    {
        // The blob watcher also trains this upload under its own run id; the API run is a second, explicit run.
        await platform.UploadAsync("reg-api/data.csv", RegressionCsv());

        var response = await platform.Http.PostAsJsonAsync("api/training", new { model = "reg-api", dataset = "datasets/reg-api/data.csv", label = "y", seed = 7 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var runId = body.GetProperty("runId").GetString()!;
        var again = await (await platform.Http.PostAsJsonAsync("api/training", new { model = "reg-api", dataset = "reg-api/data.csv", label = "y", seed = 7 })).Content.ReadFromJsonAsync<JsonElement>();
        var run = await platform.WaitForRunAsync(runId);
        var status = await platform.Http.GetFromJsonAsync<JsonElement>(body.GetProperty("statusUrl").GetString()!.TrimStart('/'));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/runs/{runId}", response.Headers.Location!.OriginalString);
        Assert.Equal(runId, again.GetProperty("runId").GetString());
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal("Regression", status.GetProperty("task").GetString());
        Assert.True(run.Metrics!["r2"] > 0.9, $"r2 {run.Metrics["r2"]}");
    }

    [Theory]
    [InlineData("""{"dataset": "x/none.csv"}""", HttpStatusCode.NotFound)]
    [InlineData("""{"model": "Bad Name", "dataset": "x/none.csv"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"model": "x"}""", HttpStatusCode.BadRequest)]
    [InlineData("""not json""", HttpStatusCode.BadRequest)]
    public async Task PostTraining_BadRequest_ReturnsProblem(string json, HttpStatusCode expected)
    {
        var response = await platform.Http.PostAsync("api/training", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \r\n")]
    public async Task PostTraining_EmptyBody_Returns400SayingTheBodyIsEmpty(string? content)
    {
        var response = await platform.Http.PostAsync("api/training", content is null ? null : new StringContent(content, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("The request body is empty: send a JSON object such as {\"dataset\"", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", 1, 2)] // the reader expects the literal null and stops at the o
    [InlineData("{\"dataset\": \"x/a.csv\",\n \"label\": }", 2, 11)]
    [InlineData("{\"dataset\": ", 1, 13)]
    public async Task PostTraining_InvalidJson_Returns400WithLineAndPositionOnly(string content, int line, int position)
    {
        var response = await platform.Http.PostAsync("api/training", new StringContent(content, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith($"The request body is not valid JSON at line {line}, position {position}: send a JSON object", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/home/me/data.csv")]
    [InlineData("./data.csv")]
    [InlineData("C:\\x.csv")]
    [InlineData("data.csv")]
    public async Task PostTraining_LocalFilePath_Returns400ExplainingTheDatasetField(string path)
    {
        var response = await platform.Http.PostAsJsonAsync("api/training", new { dataset = path, label = "class" });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var detail = body.GetProperty("detail").GetString();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("dataset", body.GetProperty("field").GetString());
        Assert.Contains("blob name in the 'datasets' container of the form '{model}/{file}' (.csv, .csv.gz or .parquet)", detail, StringComparison.Ordinal);
        Assert.Contains("uploaded with the CLI (train <csv>)", detail, StringComparison.Ordinal);
    }

    private static byte[] Csv(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Numbers(int rows, Func<int, string> x) =>
        Csv("x,name,class\n" + string.Concat(Enumerable.Range(0, rows).Select(i => $"{x(i)},n{i % 4},{(i % 2 == 0 ? "a" : "b")}\n")));

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    /// <summary><see cref="Numbers"/> as Parquet: x a double, name a string, class a string.</summary>
    private static async Task<byte[]> ParquetOfNumbersAsync(int rows, Func<int, double> x, bool withLabel = true)
    {
        List<Parquet.Schema.DataField> fields = [new Parquet.Schema.DataField<double>("x"), new Parquet.Schema.DataField<string>("name")];
        if (withLabel)
        {
            fields.Add(new Parquet.Schema.DataField<string>("class"));
        }

        var schema = new Parquet.Schema.ParquetSchema(fields);
        using var stream = new MemoryStream();
        await using (var writer = await Parquet.ParquetWriter.CreateAsync(schema, stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<double>(schema.DataFields[0], Enumerable.Range(0, rows).Select(x).ToArray());
            await group.WriteAsync(schema.DataFields[1], Enumerable.Range(0, rows).Select(i => $"n{i % 4}").ToArray());
            if (withLabel)
            {
                await group.WriteAsync(schema.DataFields[2], Enumerable.Range(0, rows).Select(i => i % 2 == 0 ? "a" : "b").ToArray());
            }
        }

        return stream.ToArray();
    }

    /// <summary>A Parquet file with a list column.</summary>
    private static async Task<byte[]> NestedParquetAsync()
    {
        var schema = new Parquet.Schema.ParquetSchema(new Parquet.Schema.DataField<int>("id"), new Parquet.Schema.ListField("tags", new Parquet.Schema.DataField<string>("element")));
        using var stream = new MemoryStream();
        await using (var writer = await Parquet.ParquetWriter.CreateAsync(schema, stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>(schema.DataFields[0], new[] { 1, 2 });
            await group.WriteAsync(schema.DataFields[1], ["a", "b", "c"], new int[] { 0, 1, 0 });
        }

        return stream.ToArray();
    }

    /// <summary>Uploads of the other formats that cannot be read: (blob, content, expected code, expected column, whether a copy is quarantined).</summary>
    public static TheoryData<string, byte[], string, string?, bool> BadFiles()
    {
        var parquet = ParquetOfNumbersAsync(40, i => i).GetAwaiter().GetResult();
        return new()
        {
            { "bad-parquet-cut/d.parquet", parquet[..(parquet.Length / 2)], AnomalyCodes.MalformedParquet, null, true },
            { "bad-parquet-csv/d.parquet", Numbers(40, i => $"{i}"), AnomalyCodes.MalformedParquet, null, true },
            { "bad-parquet-nested/d.parquet", NestedParquetAsync().GetAwaiter().GetResult(), AnomalyCodes.NestedColumn, "tags", true },
            { "bad-parquet-nolabel/d.parquet", ParquetOfNumbersAsync(40, i => i, withLabel: false).GetAwaiter().GetResult(), AnomalyCodes.MissingLabel, "class", false },
            { "bad-gzip/d.csv.gz", Numbers(40, i => $"{i}"), AnomalyCodes.InvalidGzip, null, true },
            { "bad-format/notes.txt", Csv("these are notes\n"), AnomalyCodes.UnsupportedFormat, null, true },
        };
    }

    /// <summary>
    /// One upload per defect class: (model, content, label, expected code, expected column, whether the file is at
    /// fault and so copied to quarantine; a wrong label is the request's fault).
    /// </summary>
    public static TheoryData<string, byte[], string?, string, string?, bool> BadUploads() => new()
    {
        { "bad-empty", [], null, "EmptyFile", null, true },
        { "bad-header", Csv("a,b,class\n"), "class", "NoRows", null, true },
        { "bad-nolabel", Csv("a,b\n1,2\n3,4\n"), "class", "MissingLabelColumn", "class", false },
        { "bad-constant", Csv("x,class\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"{i},same\n"))), "class", "ConstantLabel", "class", false },
        { "bad-types", Numbers(40, i => i == 17 ? "seventeen" : $"{i}"), "class", "TypeMismatch", "x", true },
        { "bad-nan", Numbers(40, i => i == 3 ? "NaN" : $"{i}"), "class", "NonFiniteValue", "x", true },
        { "bad-inf", Numbers(40, i => i == 5 ? "-Infinity" : $"{i}"), "class", "NonFiniteValue", "x", true },
        { "bad-nullcol", Csv("x,empty,class\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"{i},,{(i % 2 == 0 ? "a" : "b")}\n"))), "class", "AllMissingColumn", "empty", true },
        { "bad-dupheader", Csv("a,b,a,class\n1,2,3,x\n"), "class", "DuplicateColumn", "a", true },
        { "bad-latin1", [.. Csv("name,class\nJos"), 0xE9, .. Csv(",a\nZ"), 0xFC, .. Csv("rich,b\n")], "class", "InvalidEncoding", null, true },
        { "bad-garbage", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF, 0xFE, 0x81, 0xC3, 0x28, 0xA0, 0xA1, 0x0A], null, "InvalidEncoding", null, true },
        { "bad-fewrows", Numbers(5, i => $"{i}"), "class", "TooFewRows", null, true },
        { "bad-toolarge", Numbers(90_000, i => $"{i}.123456"), "class", "FileTooLarge", null, true },
        { "bad-injection", Csv("x,name,class\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"{i},{(i == 9 ? "=cmd|' /C calc'!A0" : "ok")},{(i % 2 == 0 ? "a" : "b")}\n"))), "class", "CsvInjection", "name", true },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public Task BadUpload_IsRejected_KeepsTheUploadQuarantinesACopyOfABadFileAndRegistersNothing(string model, byte[] content, string? label, string code, string? column, bool fileAtFault) =>
        AssertRejectedAsync($"{model}/upload.csv", content, label, code, column, fileAtFault);

    [Theory]
    [MemberData(nameof(BadFiles))]
    public Task BadFileOfAnotherFormat_IsRejectedAndQuarantinedWithItsReason(string blob, byte[] content, string code, string? column, bool fileAtFault) =>
        AssertRejectedAsync(blob, content, "class", code, column, fileAtFault);

    /// <summary>The same rows as CSV, gzip-compressed CSV and Parquet train to the same test metrics, whichever file the trigger saw.</summary>
    [Fact]
    public async Task SameRowsAsCsvGzipAndParquet_TrainToTheSameMetrics()
    {
        var csv = Numbers(120, i => $"{i % 17}.5");
        var runs = new List<Api.RunView>();
        foreach (var (file, content) in new[] { ("same-rows-csv/d.csv", csv), ("same-rows-gz/d.csv.gz", Gzip(csv)), ("same-rows-pq/d.parquet", await ParquetOfNumbersAsync(120, i => i % 17 + 0.5)) })
        {
            await platform.Store.WriteAsync(ArtifactStore.Datasets, $"{file.Split('/')[0]}/lifecycle.json", BinaryData.FromString("""{"label": "class", "split": {"salt": "same"}, "validation": {"folds": 3, "trainers": ["LightGbm"]}}"""));
            var etag = await platform.UploadAsync(file, content);
            runs.Add(await platform.WaitForRunAsync(RunIds.ForBlob(file, etag)));
        }

        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.All(runs, r => Assert.Equal(runs[0].Metrics, r.Metrics));
        Assert.All(runs, r => Assert.Equal(120, r.Data!.RowsRead));
    }

    private async Task AssertRejectedAsync(string blob, byte[] content, string? label, string code, string? column, bool fileAtFault)
    {
        var model = blob.Split('/')[0];
        var etag = await platform.UploadAsync(blob, content, label);

        var run = await platform.WaitForRunAsync(RunIds.ForBlob(blob, etag));
        var status = await platform.Http.GetFromJsonAsync<JsonElement>($"api/runs/{run.RunId}");
        var reason = await platform.Store.TryReadAsync(ArtifactStore.Quarantine, $"{blob}.reason.json");

        Assert.Equal(RunStatus.Rejected, run.Status);
        var anomaly = Assert.Single(run.Anomalies!, a => a.Severity == Severity.Error);
        Assert.Equal(code, anomaly.Code);
        Assert.Equal(column, anomaly.Column);
        Assert.Equal("Rejected", status.GetProperty("status").GetString());
        Assert.Contains(code, status.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(content, (await platform.Store.ReadAsync(ArtifactStore.Datasets, blob)).ToArray());
        if (fileAtFault)
        {
            Assert.Contains(code, reason!.ToString(), StringComparison.Ordinal);
            Assert.Equal(content, (await platform.Store.ReadAsync(ArtifactStore.Quarantine, blob)).ToArray());
        }
        else
        {
            Assert.Null(reason);
            Assert.Null(await platform.Store.TryReadAsync(ArtifactStore.Quarantine, blob));
        }

        Assert.Empty(await platform.Registry.ListVersionsAsync(model));
        Assert.Null(await platform.Registry.ResolveAliasAsync(model, ModelRegistry.Champion));
    }

    [Fact]
    public async Task InvalidSpecNextToUpload_RejectsRunNamingTheField()
    {
        await platform.Store.WriteAsync(ArtifactStore.Datasets, "bad-spec/lifecycle.json", BinaryData.FromString("""{"label": "class", "split": {"train": 0.9, "validation": 0.1, "test": 0.1}}"""));
        var etag = await platform.UploadAsync("bad-spec/data.csv", Numbers(40, i => $"{i}"));

        var run = await platform.WaitForRunAsync(RunIds.ForBlob("bad-spec/data.csv", etag));

        Assert.Equal(RunStatus.Rejected, run.Status);
        var anomaly = Assert.Single(run.Anomalies!);
        Assert.Equal("InvalidSpec", anomaly.Code);
        Assert.Equal("split", anomaly.Column);
        Assert.Empty(await platform.Registry.ListVersionsAsync("bad-spec"));
        Assert.NotNull(await platform.Store.TryReadAsync(ArtifactStore.Datasets, "bad-spec/data.csv"));
        Assert.Null(await platform.Store.TryReadAsync(ArtifactStore.Quarantine, "bad-spec/data.csv.reason.json"));
    }

    [Fact]
    public async Task PostTraining_WrongLabel_RejectsAndKeepsTheUpload_SoARetryWithoutItTrains()
    {
        await platform.UploadAsync("wrong-label/data.csv", RegressionCsv());

        var wrong = await platform.Http.PostAsJsonAsync("api/training", new { dataset = "wrong-label/data.csv", label = "nope" });
        var rejected = await platform.WaitForRunAsync((await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!);
        var kept = await platform.Store.TryReadAsync(ArtifactStore.Datasets, "wrong-label/data.csv");
        var retry = await platform.Http.PostAsJsonAsync("api/training", new { dataset = "wrong-label/data.csv" });
        var run = await platform.WaitForRunAsync((await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!);

        Assert.Equal(RunStatus.Rejected, rejected.Status);
        Assert.Equal("MissingLabelColumn", Assert.Single(rejected.Anomalies!, a => a.Severity == Severity.Error).Code);
        Assert.NotNull(kept);
        Assert.Null(await platform.Store.TryReadAsync(ArtifactStore.Quarantine, "wrong-label/data.csv"));
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(RunStatus.Succeeded, run.Status);
    }

    [Fact]
    public async Task SpecMetricOfAnotherTask_RejectsRunOnceTheTaskIsKnown()
    {
        await platform.Store.WriteAsync(ArtifactStore.Datasets, "spec-task/lifecycle.json", BinaryData.FromString("""{"label": "class", "primaryMetric": "rmse"}"""));
        var etag = await platform.UploadAsync("spec-task/data.csv", Numbers(40, i => $"{i}"));

        var run = await platform.WaitForRunAsync(RunIds.ForBlob("spec-task/data.csv", etag));

        Assert.Equal(RunStatus.Rejected, run.Status);
        Assert.Equal("primaryMetric", Assert.Single(run.Anomalies!).Column);
    }

    [Fact]
    public async Task PostTraining_NonIntegerSeed_Returns400()
    {
        await platform.UploadAsync("seed-400/data.csv", Numbers(40, i => $"{i}"));

        var response = await platform.Http.PostAsJsonAsync("api/training", new { dataset = "seed-400/data.csv", label = "class", seed = 4.5 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("seed", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task PostTraining_InvalidSpec_Returns400NamingTheField()
    {
        await platform.UploadAsync("spec-400/data.csv", Numbers(40, i => $"{i}"));

        var response = await platform.Http.PostAsJsonAsync("api/training", new { dataset = "spec-400/data.csv", spec = new { label = "class", cleaning = new { scaling = "cubic" } } });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("spec.cleaning.scaling", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task DirtyPublicDataset_IsProfiledCleanedAndTrained()
    {
        // Breast Cancer (Ljubljana): '?' marks missing values, 14 rows are exact duplicates.
        var etag = await platform.UploadAsync("breast/breast-cancer.csv", await File.ReadAllBytesAsync(PlatformFixture.Sample("breast-cancer-ljubljana.csv")), label: "Class");

        var run = await platform.WaitForRunAsync(RunIds.ForBlob("breast/breast-cancer.csv", etag));
        var report = JsonDocument.Parse((await platform.Store.ReadAsync(ArtifactStore.Artifacts, "breast/1/quality.json")).ToString()).RootElement;
        var columns = report.GetProperty("columnStats").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(new DataSummary(286, 14, 0, 272, report.GetProperty("anomalies").GetArrayLength()), run.Data);
        Assert.Equal(8, columns["node-caps"].GetProperty("missing").GetInt32());
        Assert.Equal(1, columns["breast-quad"].GetProperty("missing").GetInt32());
        Assert.Equal(272, report.GetProperty("rowsAfterCleaning").GetInt32());
        Assert.Equal("f1", run.PrimaryMetric); // 201 vs 85: imbalanced
        Assert.InRange(run.Metrics!["accuracy"], 0.6, 1.0);
    }

    [Fact]
    public async Task SpecNextToUpload_SetsSeedSplitMetricAndCriteria()
    {
        await platform.Store.WriteAsync(ArtifactStore.Datasets, "spec-ok/lifecycle.json", BinaryData.FromString(
            """{"label": "y", "seed": 11, "primaryMetric": "mae", "successCriteria": {"r2": 0.9, "rmse": 0.001}, "split": {"train": 0.6, "validation": 0.2, "test": 0.2}, "cleaning": {"scaling": "standard", "outliers": "clip"}}"""));
        var etag = await platform.UploadAsync("spec-ok/data.csv", RegressionCsv());

        var run = await platform.WaitForRunAsync(RunIds.ForBlob("spec-ok/data.csv", etag));
        var manifest = JsonDocument.Parse((await platform.Store.ReadAsync(ArtifactStore.Artifacts, "spec-ok/1/manifest.json")).ToString()).RootElement;

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal("mae", run.PrimaryMetric);
        Assert.Equal(11, manifest.GetProperty("seed").GetInt32());
        Assert.Equal([true, false], run.Criteria!.Select(c => c.Passed));
        var split = await platform.Store.ReadJsonAsync<Core.Validation.ValidationPlan>(ArtifactStore.Artifacts, new RunContext(run.RunId, "spec-ok", "spec-ok/data.csv", null).SplitBlob);
        Assert.InRange(split.Split.Test.Length, 40, 80); // 20 % of 300, by row hash
        Assert.InRange(split.Split.Validation.Length, 40, 80);
        Assert.Equal(300, manifest.GetProperty("training").GetProperty("rows").GetInt32()); // the served model: refit on every row
        Assert.Equal(300, manifest.GetProperty("servedModel").GetProperty("rows").GetInt32());
        Assert.NotEqual(1.0, manifest.GetProperty("training").GetProperty("numericTransforms")[0].GetProperty("scale").GetDouble());
    }
}
