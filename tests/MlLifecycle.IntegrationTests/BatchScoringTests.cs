using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using MlLifecycle.Api;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using Xunit.Abstractions;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// Batch scoring on the fixture's platform (the Durable engine on Azurite, the HTTP API on loopback, the blob trigger):
/// jobs started over HTTP and by uploads to <c>scoring/</c>, on copies of the credit-g champion under fresh model names.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class BatchScoringTests(PlatformFixture platform, ITestOutputHelper log)
{
    /// <summary>A container the blob triggers do not watch, for inputs of jobs started over HTTP.</summary>
    private const string Inputs = "batch-inputs";

    [Fact]
    public async Task BatchJob_100000Rows_WritesEveryRowInOrder_AsInProcessAndRealTimeScoringDo()
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "batch");
        var broken = await platform.CopyVersionAsync(model, zip => zip[..^16]);
        var csv = CreditCsv(100_000);
        var input = CsvLoader.Read(new MemoryStream(csv));
        await UploadAsync(Inputs, $"{model}/applicants.csv", csv);
        var stopwatch = Stopwatch.StartNew();

        var start = await platform.Http.PostAsJsonAsync($"api/models/{model}/batch", new { input = $"{Inputs}/{model}/applicants.csv" });
        var started = await start.Content.ReadFromJsonAsync<JsonElement>();
        // The alias moves, mid-job, to a version that cannot even be loaded: the job keeps the version it pinned.
        Assert.True(await platform.Registry.TryMoveAliasAsync(model, ModelRegistry.Champion, broken, 1, DateTimeOffset.UtcNow));
        var (job, progress) = await WaitForJobAsync(started.GetProperty("jobId").GetString()!);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var output = await ReadAsync(job.Output!);
        log.WriteLine($"batch job: {input.Rows.Count} rows, {job.Progress.Chunks} chunks, {seconds:F1} s from POST to Succeeded ({input.Rows.Count / seconds:F0} rows/s)");

        var model1 = await LoadAsync(model, 1);
        var expected = Write(input, model1.Predict(PredictionInput.FromTable(input, model1.Schema)), model1.Schema);
        var scored = CsvLoader.Read(new MemoryStream(output));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal($"/api/batch/{job.JobId}", start.Headers.Location!.ToString());
        Assert.Equal(1, started.GetProperty("version").GetInt32());
        Assert.Equal((RunStatus.Succeeded, 1, 10, 10, 100_000L, 100_000L), (job.Status, job.Version, job.Progress.ChunksDone, job.Progress.Chunks, job.Progress.RowsScored, job.Progress.Rows));
        Assert.Equal($"predictions/{model}/{job.JobId}.csv", job.Output);
        Assert.Equal(progress.Order(), progress);
        Assert.Equal(100_000, scored.Rows.Count);
        Assert.Equal([.. input.Columns, "PredictedLabel", "Probability_bad", "Probability_good"], scored.Columns);
        // Byte for byte what predict writes in-process (CLI predict's layout), every row in input order.
        Assert.Equal("", FirstDifference(expected, output));
        Assert.Empty(await ListAsync(ArtifactStore.Artifacts, $"{model}/batch/"));

        var sample = new Random(11).GetItems(Enumerable.Range(0, input.Rows.Count).ToArray(), 500);
        await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var row = input.Columns.Select((c, k) => (c, k)).ToDictionary(x => x.c, x => input.Rows[i][x.k]);
            var answer = await platform.Http.PostAsJsonAsync($"api/models/{model}/predict?version=1", row, ct);
            var prediction = (await answer.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("predictions")[0];
            var line = scored.Rows[i];
            Assert.Equal(line[^3], prediction.GetProperty("label").GetString());
            Assert.Equal(double.Parse(line[^2]!, CultureInfo.InvariantCulture), prediction.GetProperty("probabilities").GetProperty("bad").GetDouble(), 6);
            Assert.Equal(double.Parse(line[^1]!, CultureInfo.InvariantCulture), prediction.GetProperty("probabilities").GetProperty("good").GetDouble(), 6);
        });
    }

    [Fact]
    public async Task BatchJob_InputWithoutAColumnTheModelReads_FailsNamingIt_AndWritesNoOutput()
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "batch");
        var csv = CreditCsv(200);
        var table = CsvLoader.Read(new MemoryStream(csv));
        var age = table.IndexOf("age");
        await UploadAsync(Inputs, $"{model}/no-age.csv", Csv(new TabularData([.. table.Columns.Where((_, k) => k != age)], [.. table.Rows.Select(r => r.Where((_, k) => k != age).ToArray())])));

        var start = await platform.Http.PostAsJsonAsync($"api/models/{model}/batch", new { input = $"{Inputs}/{model}/no-age.csv", alias = "champion" });
        var (job, _) = await WaitForJobAsync((await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetString()!);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal(RunStatus.Failed, job.Status);
        Assert.Equal("The input has no column 'age', which the model needs.", job.Message);
        Assert.Null(job.Output);
        Assert.Null(await platform.Store.TryGetPropertiesAsync(ArtifactStore.Predictions, $"{model}/{job.JobId}.csv"));
        Assert.Empty(await ListAsync(ArtifactStore.Predictions, $"{model}/"));
        Assert.Empty(await ListAsync(ArtifactStore.Artifacts, $"{model}/batch/"));
    }

    [Fact]
    public async Task StartBatch_UnknownModelVersionOrInput_Returns404Problem_AndBadFields400()
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "batch");
        await UploadAsync(Inputs, $"{model}/few.csv", CreditCsv(10));
        var input = $"{Inputs}/{model}/few.csv";

        var unknownModel = await StartAsync("no-such-model", new { input });
        var unknownVersion = await StartAsync(model, new { input, version = 7 });
        var unknownInput = await StartAsync(model, new { input = $"{Inputs}/{model}/missing.csv" });
        var both = await StartAsync(model, new { input, alias = "champion", version = 1 });
        var localPath = await StartAsync(model, new { input = "./applicants.csv" });
        var traversal = await StartAsync(model, new { input = $"{Inputs}/../artifacts/{model}/1/schema.json" });
        var unknownJob = await platform.Http.GetAsync("api/batch/batch-0123456789abcdef");
        var trainingRun = await platform.Http.GetAsync($"api/batch/{platform.CreditRun.RunId}");

        Assert.Equal((HttpStatusCode.NotFound, "No model named 'no-such-model' exists."), unknownModel);
        Assert.Equal((HttpStatusCode.NotFound, $"Model '{model}' has no version 7."), unknownVersion);
        Assert.Equal((HttpStatusCode.NotFound, $"Input blob '{Inputs}/{model}/missing.csv' does not exist. Upload it first."), unknownInput);
        Assert.Equal((HttpStatusCode.BadRequest, "Give 'alias' or 'version', not both."), both);
        Assert.Equal(HttpStatusCode.BadRequest, localPath.Status);
        Assert.Equal(HttpStatusCode.BadRequest, traversal.Status); // never read from another container
        Assert.Equal(HttpStatusCode.NotFound, unknownJob.StatusCode);
        Assert.Equal("application/problem+json", unknownJob.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, trainingRun.StatusCode);
    }

    [Fact]
    public async Task CsvDroppedInScoring_ProducesPredictions_WithTheVersionItsMetadataNames()
    {
        var model = await platform.NewModelAsync(versions: 2, prefix: "batch");
        var csv = CreditCsv(1_500);
        var blob = $"{model}/drop.csv";
        var options = new BlobUploadOptions { Metadata = new Dictionary<string, string> { [BatchStarter.VersionMetadata] = "2" } };

        var etag = (await platform.Store.Blob(ArtifactStore.Scoring, blob).UploadAsync(BinaryData.FromBytes(csv), options)).Value.ETag.ToString();
        var (job, _) = await WaitForJobAsync(RunIds.ForScoringBlob(blob, etag));
        var scored = CsvLoader.Read(new MemoryStream(await ReadAsync(job.Output!)));

        Assert.Equal(RunStatus.Succeeded, job.Status);
        Assert.Equal(2, job.Version);
        Assert.Equal($"{ArtifactStore.Scoring}/{blob}", job.Input);
        Assert.Equal($"predictions/{model}/{job.JobId}.csv", job.Output);
        Assert.Equal(1_500, scored.Rows.Count);
        Assert.All(scored.Rows, r => Assert.Contains(r[^3], new[] { "good", "bad" }));
    }

    [Fact]
    public async Task CliPredict_LargeCsvIsScoredByABatchJob_SmallOneInProcess_BothAsPredictWrites()
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "batch");
        var folder = Directory.CreateTempSubdirectory("batch-cli-").FullName;
        var (large, small) = (Path.Combine(folder, "large.csv"), Path.Combine(folder, "small.csv"));
        await File.WriteAllBytesAsync(large, CreditCsv(BatchPredictRows + 1));
        await File.WriteAllBytesAsync(small, CreditCsv(2_000));
        var environment = new Dictionary<string, string> { ["MLLIFECYCLE_STORAGE"] = platform.Platform.StorageConnectionString };

        using var batch = CliProcess.Start(environment, "predict", model, "--input", large, "--output", large + ".out", "--json");
        using var inProcess = CliProcess.Start(environment, "predict", model, "--input", small, "--output", small + ".out");
        var (batchExit, inProcessExit) = (await batch.WaitAsync(TimeSpan.FromSeconds(120)), await inProcess.WaitAsync(TimeSpan.FromSeconds(60)));
        var result = JsonDocument.Parse(batch.Output.Trim().Split('\n')[^1]).RootElement;
        var job = await BatchView.GetAsync(platform.Platform.Client, result.GetProperty("jobId").GetString()!);

        var model1 = await LoadAsync(model, 1);
        log.WriteLine(batch.Errors);
        Assert.True(batchExit == 0, batch.Errors);
        Assert.True(inProcessExit == 0, inProcess.Errors);
        Assert.Contains("scoring it as a batch job", batch.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("batch job", inProcess.Errors, StringComparison.Ordinal);
        Assert.Equal((RunStatus.Succeeded, $"{ArtifactStore.Scoring}/{model}/large.csv"), (job!.Status, job.Input));
        Assert.Equal(BatchPredictRows + 1, result.GetProperty("rows").GetInt32());
        foreach (var file in new[] { large, small })
        {
            var input = CsvLoader.Read(File.OpenRead(file));
            var expected = Write(input, model1.Predict(PredictionInput.FromTable(input, model1.Schema)), model1.Schema);
            Assert.Equal("", FirstDifference(expected, await File.ReadAllBytesAsync(file + ".out")));
        }

        Directory.Delete(folder, recursive: true);
    }

    /// <summary>CSVs with more rows than this are scored by the CLI as batch jobs.</summary>
    private const int BatchPredictRows = 50_000;

    /// <summary>
    /// <paramref name="rows"/> credit-g applicants: the sample's rows over and over, each repeat with other durations,
    /// amounts and ages (within the training range), so most rows differ from every training row.
    /// </summary>
    /// <summary>The same rows as CSV, gzip-compressed CSV and Parquet: each job's output is in its input's format, with the same predictions.</summary>
    [Fact]
    public async Task BatchJob_GzipAndParquetInputs_WriteTheirFormat_WithTheCsvJobsPredictions()
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "batch-formats");
        var csv = CreditCsv(25_000);
        var table = CsvLoader.Read(new MemoryStream(csv));
        using var gzipped = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(csv);
        }

        using var parquet = new MemoryStream();
        var numeric = table.Columns.Where((name, c) => table.Rows.All(r => r[c] is not { } cell || double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _))).ToHashSet();
        await ParquetOutput.WriteAsync(One(table), parquet, numeric.Contains);
        var outputs = new Dictionary<string, byte[]>();
        foreach (var (name, content) in new[] { ("rows.csv", csv), ("rows.csv.gz", gzipped.ToArray()), ("rows.parquet", parquet.ToArray()) })
        {
            await UploadAsync(Inputs, $"{model}/{name}", content);
            var start = await platform.Http.PostAsJsonAsync($"api/models/{model}/batch", new { input = $"{Inputs}/{model}/{name}" });
            var (job, _) = await WaitForJobAsync((await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetString()!);
            Assert.True(job.Status == RunStatus.Succeeded, job.Message);
            Assert.EndsWith(name[4..], job.Output, StringComparison.Ordinal);
            outputs[name] = await ReadAsync(job.Output!);
        }

        using var inflated = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(outputs["rows.csv.gz"]), System.IO.Compression.CompressionMode.Decompress))
        {
            gzip.CopyTo(inflated);
        }

        Assert.Equal("", FirstDifference(outputs["rows.csv"], inflated.ToArray()));
        var expected = TableReader.ReadCsv(new MemoryStream(outputs["rows.csv"]));
        var scored = await TableReader.ReadAsync(new MemoryStream(outputs["rows.parquet"]), TableFormat.Parquet);
        Assert.Equal(expected.Names, scored.Names);
        Assert.Equal(TextsOf(expected, "PredictedLabel"), TextsOf(scored, "PredictedLabel"));
        Assert.All(Enumerable.Range(0, expected.RowCount), r => Assert.Equal(expected.Find("Probability_bad")!.Number(r), scored.Find("Probability_bad")!.Number(r), 6));
        Assert.Equal(TextsOf(expected, "purpose"), TextsOf(scored, "purpose"));

        static List<string?> TextsOf(ColumnTable t, string column) => [.. Enumerable.Range(0, t.RowCount).Select(t.Find(column)!.Text)];

        static async IAsyncEnumerable<TabularData> One(TabularData chunk)
        {
            await Task.Yield();
            yield return chunk;
        }
    }

    private static byte[] CreditCsv(int rows)
    {
        var credit = CsvLoader.Read(File.OpenRead(PlatformFixture.CreditCsvPath));
        int duration = credit.IndexOf("duration"), amount = credit.IndexOf("credit_amount"), age = credit.IndexOf("age");
        var generated = Enumerable.Range(0, rows).Select(i =>
        {
            var row = (string?[])credit.Rows[i % credit.Rows.Count].Clone();
            var repeat = i / credit.Rows.Count;
            row[duration] = (int.Parse(row[duration]!, CultureInfo.InvariantCulture) + repeat % 12).ToString(CultureInfo.InvariantCulture);
            row[amount] = Math.Round(double.Parse(row[amount]!, CultureInfo.InvariantCulture) * (1 + (repeat % 9 - 4) / 100.0)).ToString(CultureInfo.InvariantCulture);
            row[age] = (int.Parse(row[age]!, CultureInfo.InvariantCulture) + repeat % 5).ToString(CultureInfo.InvariantCulture);
            return row;
        }).ToList();
        return Csv(new TabularData(credit.Columns, generated));
    }

    private static byte[] Csv(TabularData table)
    {
        using var stream = new MemoryStream();
        CsvLoader.Write(table, stream);
        return stream.ToArray();
    }

    /// <summary>What <c>predict</c> writes for these rows.</summary>
    internal static byte[] Write(TabularData input, IReadOnlyList<Prediction> predictions, DatasetSchema schema)
    {
        using var stream = new MemoryStream();
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true))
        {
            PredictionCsv.Write(writer, input, predictions, schema);
        }

        return stream.ToArray();
    }

    /// <summary>The first line where two files differ ("" when they are equal), for a readable failure.</summary>
    internal static string FirstDifference(byte[] expected, byte[] actual)
    {
        var (a, b) = (Encoding.UTF8.GetString(expected).Split('\n'), Encoding.UTF8.GetString(actual).Split('\n'));
        var line = Enumerable.Range(0, Math.Max(a.Length, b.Length)).FirstOrDefault(i => i >= a.Length || i >= b.Length || a[i] != b[i], -1);
        return line < 0 ? "" : $"line {line + 1}: expected '{(line < a.Length ? a[line] : "(end)")}', got '{(line < b.Length ? b[line] : "(end)")}'";
    }

    private Task<TrainedModel> LoadAsync(string model, int version) => LoadAsync(platform.Store, platform.Registry, model, version);

    /// <summary>A registered version loaded straight from its artifacts (no cache shared with the platform).</summary>
    internal static async Task<TrainedModel> LoadAsync(ArtifactStore store, ModelRegistry registry, string model, int version)
    {
        var record = (await registry.GetVersionAsync(model, version))!;
        var zip = await store.ReadAsync(ArtifactStore.Artifacts, $"{model}/{version}/model.zip");
        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, $"{model}/{version}/schema.json");
        return TrainedModel.Load(zip.ToStream(), schema, record.Trainer);
    }

    private async Task UploadAsync(string container, string blob, byte[] content)
    {
        await platform.Store.Service.GetBlobContainerClient(container).CreateIfNotExistsAsync();
        await platform.Store.Blob(container, blob).UploadAsync(BinaryData.FromBytes(content), overwrite: true);
    }

    private async Task<byte[]> ReadAsync(string output)
    {
        var slash = output.IndexOf('/', StringComparison.Ordinal);
        return (await platform.Store.ReadAsync(output[..slash], output[(slash + 1)..])).ToArray();
    }

    private async Task<List<string>> ListAsync(string container, string prefix)
    {
        List<string> names = [];
        await foreach (var blob in platform.Store.Service.GetBlobContainerClient(container).GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, default))
        {
            names.Add(blob.Name);
        }

        return names;
    }

    private async Task<(HttpStatusCode Status, string? Detail)> StartAsync(string model, object body)
    {
        var response = await platform.Http.PostAsJsonAsync($"api/models/{model}/batch", body);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    /// <summary>Follows a job through <c>GET /api/batch/{jobId}</c> until it ends; returns it and the chunks it had done at each poll.</summary>
    private async Task<(BatchView Job, List<int> ChunksDone)> WaitForJobAsync(string jobId, int timeoutSeconds = 120)
    {
        List<int> progress = [];
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTime.UtcNow < deadline)
        {
            var response = await platform.Http.GetAsync($"api/batch/{jobId}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var job = (await response.Content.ReadFromJsonAsync<BatchView>(Core.LifecycleJson.Options))!;
                progress.Add(job.Progress.ChunksDone);
                if (job.IsFinished)
                {
                    return (job, progress);
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Batch job {jobId} did not finish within {timeoutSeconds} s.");
    }
}
