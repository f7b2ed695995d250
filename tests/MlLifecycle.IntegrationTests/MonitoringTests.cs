using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MlLifecycle.Api;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

/// <summary>Drift checks on the fixture's platform: on uploaded data over HTTP, on windows of the prediction log, and by the timer.</summary>
[Collection(PlatformCollection.Name)]
public sealed class MonitoringTests(PlatformFixture platform)
{
    private static readonly JsonSerializerOptions Json = LifecycleJson.Options;

    [Fact]
    public async Task Drift_CreditGHeldOutFifth_FlagsNothing_AndShiftedCopyFlagsExactlyCreditAmountAndDuration()
    {
        var (header, rows) = ReadCsv(PlatformFixture.CreditCsvPath);
        var shuffled = rows.ToList();
        new Random(11).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));
        var train = shuffled[..800];
        var heldOut = shuffled[800..];
        var model = $"drift-{Guid.NewGuid():N}"[..16];
        var blob = $"{model}/train.csv";
        // A fixed salt: the model's name is random, and the split (so the baseline's test metrics) must not be.
        await platform.Store.WriteAsync(ArtifactStore.Datasets, $"{model}/lifecycle.json", BinaryData.FromString("""{"label": "class", "split": {"salt": "drift-credit-g"}}"""));
        var run = await platform.WaitForRunAsync(RunIds.ForBlob(blob, await platform.UploadAsync(blob, Csv(header, train), label: "class")));
        Assert.Equal(RunStatus.Succeeded, run.Status);

        var same = await CheckWithCliAsync(model, "heldout.csv", Csv(header, heldOut));
        Assert.Equal(200, same.GetProperty("rows").GetInt64());
        Assert.False(same.GetProperty("drifted").GetBoolean());
        Assert.Empty(Drifted(same));
        Assert.Equal(20, same.GetProperty("features").GetArrayLength());
        Assert.Equal("ok", same.GetProperty("concept").GetProperty("state").GetString());
        Assert.InRange(same.GetProperty("concept").GetProperty("standardError").GetDouble(), 0.01, 0.2);
        Assert.Equal(200, same.GetProperty("concept").GetProperty("labelled").GetInt64());

        int amount = Array.IndexOf(header, "credit_amount"), duration = Array.IndexOf(header, "duration");
        var shifted = heldOut.Select(r =>
        {
            var copy = (string[])r.Clone();
            copy[amount] = (double.Parse(r[amount], CultureInfo.InvariantCulture) * 3).ToString(CultureInfo.InvariantCulture);
            copy[duration] = (double.Parse(r[duration], CultureInfo.InvariantCulture) + 24).ToString(CultureInfo.InvariantCulture);
            return copy;
        }).ToList();
        var moved = await CheckWithCliAsync(model, "shifted.csv", Csv(header, shifted));
        Assert.Equal(["credit_amount", "duration"], Drifted(moved).Order());
        Assert.False(moved.GetProperty("drifted").GetBoolean()); // 2 of 20 features drifted: under the default share 0.3
        var alarmed = moved.GetProperty("prediction").GetProperty("drifted").GetBoolean() || moved.GetProperty("concept").GetProperty("state").GetString() == DriftMonitor.Degraded;
        Assert.Equal(alarmed, moved.GetProperty("alert").GetBoolean());

        // The same rows with every label flipped: the inputs have not moved, the realized metrics have.
        var label = Array.IndexOf(header, "class");
        var flipped = heldOut.Select(r => { var copy = (string[])r.Clone(); copy[label] = r[label] == "good" ? "bad" : "good"; return copy; }).ToList();
        var concept = await CheckDataAsync(model, "flipped.csv", Csv(header, flipped));
        Assert.Empty(Drifted(concept));
        Assert.Equal(DriftMonitor.Degraded, concept.GetProperty("concept").GetProperty("state").GetString());
        Assert.True(concept.GetProperty("concept").GetProperty("current").GetDouble() < concept.GetProperty("concept").GetProperty("baseline").GetDouble());

        var list = await platform.Http.GetFromJsonAsync<JsonElement>($"api/models/{model}/drift");
        var checks = list.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("data").GetString()!, c => c);
        Assert.Equal(3, checks.Count);
        Assert.Empty(checks[$"monitoring/{model}/heldout.csv"].GetProperty("driftedFeatures").EnumerateArray());
        Assert.Equal(2, checks[$"monitoring/{model}/shifted.csv"].GetProperty("driftedFeatures").GetArrayLength());
        Assert.Equal(DriftMonitor.Degraded, checks[$"monitoring/{model}/flipped.csv"].GetProperty("concept").GetString());
    }

    [Fact]
    public async Task Drift_TenLogWindowsWithoutShift_RaiseNothing_AndAMeanShiftFlagsOnlyThatFeature()
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "window");
        var (header, rows) = ReadCsv(PlatformFixture.CreditCsvPath);
        var start = InferenceLogStore.Truncate(DateTimeOffset.UtcNow).AddHours(-12);
        var random = new Random(5);
        for (var w = 0; w < 10; w++)
        {
            var from = start.AddHours(w);
            await LogWindowAsync(model, from, header, Sample(rows, 300, random));
            var report = await CheckWindowAsync(model, from, from.AddHours(1));
            Assert.Equal(300, report.GetProperty("rows").GetInt64());
            Assert.Empty(Drifted(report));
            Assert.False(report.GetProperty("prediction").GetProperty("drifted").GetBoolean());
            Assert.Equal(DriftMonitor.AwaitingLabels, report.GetProperty("concept").GetProperty("state").GetString());
        }

        // Feedback that names no class of the model is left out and counted, never a failure.
        var odd = start.AddHours(11);
        await LogWindowAsync(model, odd, header, Sample(rows, 120, random), r => r[Array.IndexOf(header, "class")] == "good" ? "GOOD" : "maybe");
        var oddReport = await CheckWindowAsync(model, odd, odd.AddHours(1));
        var concept = oddReport.GetProperty("concept");
        Assert.True(concept.GetProperty("unmatched").GetInt64() > 0);
        Assert.Equal(120 - concept.GetProperty("unmatched").GetInt64(), concept.GetProperty("labelled").GetInt64()); // "GOOD" is the class good

        // Age up by one standard deviation (about 11 years) in the next window, everything else drawn as before.
        var age = Array.IndexOf(header, "age");
        var shifted = start.AddHours(10);
        await LogWindowAsync(model, shifted, header, Sample(rows, 300, random).Select(r => { var c = (string[])r.Clone(); c[age] = (double.Parse(r[age], CultureInfo.InvariantCulture) + 11).ToString(CultureInfo.InvariantCulture); return c; }).ToList());
        var moved = await CheckWindowAsync(model, shifted, shifted.AddHours(1));
        Assert.Equal(["age"], Drifted(moved));
    }

    [Fact]
    public async Task DriftTimer_ChecksEachWindowOnce_AndRecordsIt()
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "timer");
        var noBaseline = await platform.NewModelAsync(versions: 1, prefix: "timer");
        await platform.Store.Blob(ArtifactStore.Artifacts, $"{noBaseline}/1/baseline.json").DeleteAsync();
        var (header, rows) = ReadCsv(PlatformFixture.CreditCsvPath);
        var now = InferenceLogStore.Truncate(DateTimeOffset.UtcNow).AddMinutes(30);
        var (from, to) = DriftCheck.LatestWindow(now, 1);
        await LogWindowAsync(model, from, header, Sample(rows, 200, new Random(3)));
        var services = platform.Platform.Services;
        var check = new DriftCheck(
            services.GetRequiredService<ModelRegistry>(),
            services.GetRequiredService<ChallengerExperiment>(),
            Options.Create(new LifecycleOptions { DriftWindowHours = 1 }),
            new FixedTime(now),
            NullLogger<DriftCheck>.Instance);

        Assert.True(await check.RunAsync(platform.Platform.Client) >= 1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var instance = await platform.Platform.Client.WaitForInstanceCompletionAsync(MonitorOrchestration.InstanceId(model, from), getInputsAndOutputs: true, timeout.Token);
        var result = instance.ReadOutputAs<MonitorResult>()!;
        Assert.Equal(200, result.Check!.Rows);
        Assert.Equal(MonitorOrchestration.CheckId(from), result.Check.CheckId);
        Assert.Equal(0, await check.RunAsync(platform.Platform.Client)); // every model's window already has its monitor
        var skipped = await platform.Platform.Client.WaitForInstanceCompletionAsync(MonitorOrchestration.InstanceId(noBaseline, from), getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, skipped.RuntimeStatus); // not checkable is an answer, not a failure
        Assert.Contains("baseline.json", skipped.ReadOutputAs<MonitorResult>()!.Message);
        var view = await RunView.GetAsync(platform.Platform.Client, MonitorOrchestration.InstanceId(model, from));
        Assert.Equal((RunStatus.Succeeded, "checked", model), (view!.Status, view.Stage, view.Model));

        var checks = await platform.Registry.ListDriftChecksAsync(model);
        var recorded = Assert.Single(checks);
        Assert.Equal((from, to, 200L), (recorded.WindowStart!.Value, recorded.WindowEnd!.Value, recorded.Rows));
        Assert.NotNull(await platform.Store.TryReadAsync(ArtifactStore.Artifacts, recorded.Report[(ArtifactStore.Artifacts.Length + 1)..]));
    }

    /// <summary>
    /// The closed loop on a label flip. The champion's window comes back with every label flipped (its realized
    /// accuracy collapses), and a labelled batch with flipped labels waits in <c>monitoring/</c>. The monitor retrains
    /// on it, the gate passes, and the canary gets half the traffic. When the canary's feedback is flipped too (the
    /// world changed), it beats the champion and is promoted; when the feedback is the true labels (the batch was
    /// mislabelled), it loses and is rolled back. A canary whose model file is broken once it is deployed fails every
    /// request the split sends it: the champion answers them all (no request fails) and the canary is rolled back on
    /// its error rate, though its feedback would have earned the promotion.
    /// </summary>
    [Theory]
    [InlineData(true, "promoted", false, false)]
    [InlineData(false, "rolled-back", false, false)]
    [InlineData(true, "promoted", true, false)]
    [InlineData(true, "rolled-back", false, true)]
    public async Task ClosedLoop_LabelFlip_RetrainsCanariesAndPromotesOrRollsBack(bool worldChanged, string action, bool approval, bool brokenCanary)
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "loop", editSpec: spec =>
        {
            spec["monitor"] = JsonNode.Parse("""{"retrain": true, "data": "LatestBatch", "canaryWeight": 50, "bakeMinutes": 0.25, "minCanaryLabels": 20}""");
            spec["drift"] = JsonNode.Parse("""{"minLabels": 30}""");
            if (approval)
            {
                spec["deployment"] = JsonNode.Parse("""{"requireApproval": true, "approvalTimeoutHours": 1}""");
            }
        });
        var (header, rows) = ReadCsv(PlatformFixture.CreditCsvPath);
        var label = Array.IndexOf(header, "class");
        string Flip(string[] r) => r[label] == "good" ? "bad" : "good";
        await platform.Store.Blob(ArtifactStore.Monitoring, $"{model}/relabelled.csv").UploadAsync(
            BinaryData.FromBytes(Csv(header, rows.Select(r => { var c = (string[])r.Clone(); c[label] = Flip(r); return c; }))), overwrite: true);
        var now = InferenceLogStore.Truncate(DateTimeOffset.UtcNow).AddMinutes(30);
        var (from, _) = DriftCheck.LatestWindow(now, 1);
        await LogWindowAsync(model, from, header, Sample(rows, 150, new Random(9)), Flip);
        var services = platform.Platform.Services;
        var check = new DriftCheck(services.GetRequiredService<ModelRegistry>(), services.GetRequiredService<ChallengerExperiment>(), Options.Create(new LifecycleOptions { DriftWindowHours = 1 }), new FixedTime(now), NullLogger<DriftCheck>.Instance);
        await check.RunAsync(platform.Platform.Client);

        if (brokenCanary)
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!(await platform.Registry.GetRoutingAsync(model)).Aliases.ContainsKey(MonitorOrchestration.Challenger) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            await platform.Store.Blob(ArtifactStore.Artifacts, $"{model}/2/model.zip").UploadAsync(BinaryData.FromString("not a model"), overwrite: true);
        }

        // The canary: once the split serves the challenger, send requests (split traffic is always logged) and their feedback.
        var feedback = await SendCanaryTrafficAsync(model, header, rows, worldChanged ? Flip : r => r[label]);
        Assert.True(feedback.Challenger >= 20 && feedback.Champion >= 20, $"{feedback.Champion} champion and {feedback.Challenger} challenger outcomes");

        if (approval)
        {
            // The canary earned its promotion; a person still has to say yes, through the same route as a run.
            var id = MonitorOrchestration.InstanceId(model, from);
            var waitUntil = DateTime.UtcNow.AddMinutes(2);
            while ((await RunView.GetAsync(platform.Platform.Client, id))?.Stage?.StartsWith("waiting for approval", StringComparison.Ordinal) != true && DateTime.UtcNow < waitUntil)
            {
                await Task.Delay(200);
            }

            using var approved = await platform.Http.PostAsJsonAsync($"api/runs/{id}/approval", new { approved = true, by = "ann", reason = "looks right" });
            Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var instance = await platform.Platform.Client.WaitForInstanceCompletionAsync(MonitorOrchestration.InstanceId(model, from), getInputsAndOutputs: true, timeout.Token);
        var result = instance.ReadOutputAs<MonitorResult>()!;
        Assert.Equal(DriftMonitor.Degraded, result.Check!.Concept);
        Assert.Equal(action, result.Loop!.Action);
        Assert.Equal(approval, result.Loop.Reason.Contains("approved by ann", StringComparison.Ordinal));
        Assert.Equal(brokenCanary, result.Loop.Reason.StartsWith("rolled back: the canary failed", StringComparison.Ordinal));
        var canary = result.Loop.Canary!;
        Assert.Equal(brokenCanary ? canary.ChallengerRequests : 0, canary.ChallengerErrors);
        Assert.True(canary.ChallengerRequests >= feedback.Challenger, $"{canary.ChallengerRequests} challenger requests logged, {feedback.Challenger} sent");
        var view = await RunView.GetAsync(platform.Platform.Client, MonitorOrchestration.InstanceId(model, from));
        Assert.Equal((RunStatus.Succeeded, action), (view!.Status, view.Stage));
        Assert.Equal(2, result.Loop.Version);
        foreach (var step in new[] { ActivityNames.CheckDrift, ActivityNames.PrepareRetrain, ActivityNames.StartCanary, ActivityNames.JudgeCanary, ActivityNames.FinishCanary })
        {
            Assert.Equal(1, await platform.CountScheduledAsync(MonitorOrchestration.InstanceId(model, from), step));
        }

        var retrain = await RunView.GetAsync(platform.Platform.Client, MonitorOrchestration.RetrainId(model, from));
        Assert.Equal((RunStatus.Succeeded, false), (retrain!.Status, retrain.Champion));
        // Timers (the bake), an external event (the approval) and a sub-orchestration (the retrain) replay alike.
        var replayed = await DurableReplay.ReplayTreeAsync(platform.Platform.StorageConnectionString, MonitorOrchestration.InstanceId(model, from), WorkflowRegistration.Tasks);
        Assert.Equal([ActivityNames.MonitorOrchestration, ActivityNames.TrainingOrchestration], replayed.Select(r => r.Name));

        var routing = await platform.Registry.GetRoutingAsync(model);
        var promoted = action == "promoted";
        Assert.Equal(promoted ? 2 : 1, routing.Aliases[ModelRegistry.Champion]);
        Assert.Null(routing.Traffic);
        Assert.False(routing.Aliases.ContainsKey(MonitorOrchestration.Challenger)); // the canary's alias ends with it
        var history = await platform.Registry.ListHistoryAsync(model);
        Assert.Contains(history, h => h.By == "monitor" && h.Action == DeploymentActions.Traffic && h.Detail != "cleared");
        Assert.Equal(promoted, history.Any(h => h.By == "monitor" && h.Alias == ModelRegistry.Champion && h.To == 2));
        Assert.True(await platform.Registry.TryClaimRetrainAsync(model, "next", DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow)); // the lock was released
    }

    /// <summary>Predicts credit-g rows one by one with fresh routing keys until the split has served both arms, then feeds back <paramref name="actual"/>.</summary>
    private async Task<(int Champion, int Challenger)> SendCanaryTrafficAsync(string model, string[] header, List<string[]> rows, Func<string[], string> actual)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        var counts = new Dictionary<string, int> { [ModelRegistry.Champion] = 0, [MonitorOrchestration.Challenger] = 0 };
        var random = new Random(21);
        List<object> feedback = [];
        while (counts.Values.Min() < 40 && DateTime.UtcNow < deadline)
        {
            var row = rows[random.Next(rows.Count)];
            var body = header.Select((h, i) => (h, i)).Where(x => x.h != "class").ToDictionary(x => x.h, x => (object)(double.TryParse(row[x.i], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : row[x.i]));
            using var response = await platform.Http.PostAsJsonAsync($"api/models/{model}/predict?key={random.NextInt64():x}", body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // a broken canary fails no request: the champion answers
            var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (answer.TryGetProperty("variant", out var variant) && variant.GetString() is { } arm && counts.ContainsKey(arm))
            {
                counts[arm]++;
                feedback.Add(new { requestId = answer.GetProperty("requestId").GetString(), actual = actual(row) });
            }
            else
            {
                await Task.Delay(100); // the split is not served yet
            }
        }

        using var sent = await platform.Http.PostAsJsonAsync($"api/models/{model}/feedback", new { feedback });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        return (counts[ModelRegistry.Champion], counts[MonitorOrchestration.Challenger]);
    }

    [Theory]
    [InlineData("""{"hours": -1}""", 400, "hours")]
    [InlineData("""{"from": "yesterday"}""", 400, "from")]
    [InlineData("""{"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}""", 400, "to")]
    [InlineData("""{"data": 7}""", 400, "data")]
    [InlineData("""{"data": "artifacts/credit/1/model.zip"}""", 400, "data")]
    [InlineData("""{"data": "datasets/credit/credit-g.csv.nope"}""", 404, null)]
    [InlineData("""{"data": "monitoring/nothing-here.csv"}""", 404, null)]
    [InlineData("""[1, 2]""", 400, null)]
    [InlineData("""{"hours": "x"}""", 400, "hours")]
    [InlineData("""{"from": "0001-01-01T00:00:00Z"}""", 400, "from")]
    [InlineData("""{"data": "monitoring/../artifacts/credit/1/schema.json"}""", 400, "data")]
    [InlineData("""{"data": "monitoring/credit//x.csv"}""", 400, "data")]
    public async Task Drift_BadRequest_ReturnsProblem(string body, int status, string? field)
    {
        using var response = await platform.Http.PostAsync($"api/models/{PlatformFixture.CreditModel}/drift", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            Assert.Contains($"'{field}'", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
    }

    [Theory]
    [InlineData("age,duration\n30,12\n", "no column")]
    [InlineData("\u0000\u0001binary", "CSV")]
    public async Task Drift_DataTheModelCannotRead_Returns400_AndRecordsNothing(string csv, string says)
    {
        var model = await platform.NewModelAsync(versions: 1, prefix: "baddata");
        await platform.Store.Blob(ArtifactStore.Monitoring, $"{model}/bad.csv").UploadAsync(BinaryData.FromString(csv), overwrite: true);
        using var response = await platform.Http.PostAsJsonAsync($"api/models/{model}/drift", new { data = $"{ArtifactStore.Monitoring}/{model}/bad.csv" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(says, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Empty(await platform.Registry.ListDriftChecksAsync(model));
    }

    [Fact]
    public async Task Drift_UnknownModel_Returns404_AndAVersionWithoutBaseline409()
    {
        using var noBody = await platform.Http.PostAsync($"api/models/{PlatformFixture.CreditModel}/drift", null);
        Assert.Equal(HttpStatusCode.OK, noBody.StatusCode); // the body is optional: the log's last 24 hours
        using var unknown = await platform.Http.PostAsync("api/models/no-such-model/drift", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("No model named", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        using var list = await platform.Http.GetAsync("api/models/no-such-model/drift");
        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);

        var model = await platform.NewModelAsync(versions: 1, prefix: "nobase");
        await platform.Store.Blob(ArtifactStore.Artifacts, $"{model}/1/baseline.json").DeleteAsync();
        using var noBaseline = await platform.Http.PostAsync($"api/models/{model}/drift", null);
        Assert.Equal(HttpStatusCode.Conflict, noBaseline.StatusCode);
        Assert.Contains("baseline.json", (await noBaseline.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    private async Task<JsonElement> CheckDataAsync(string model, string file, byte[] csv)
    {
        await platform.Store.Blob(ArtifactStore.Monitoring, $"{model}/{file}").UploadAsync(BinaryData.FromBytes(csv), overwrite: true);
        using var response = await platform.Http.PostAsJsonAsync($"api/models/{model}/drift", new { data = $"{ArtifactStore.Monitoring}/{model}/{file}" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Runs the CLI's <c>drift --data {file} --json</c> on the fixture's storage; returns the report (its last stdout line).</summary>
    private async Task<JsonElement> CheckWithCliAsync(string model, string file, byte[] csv)
    {
        var folder = Directory.CreateTempSubdirectory("drift-cli-");
        try
        {
            var path = Path.Combine(folder.FullName, file);
            await File.WriteAllBytesAsync(path, csv);
            using var cli = CliProcess.Start(new Dictionary<string, string> { ["MLLIFECYCLE_STORAGE"] = platform.Platform.StorageConnectionString }, "drift", model, "--data", path, "--json");
            Assert.True(await cli.WaitAsync(TimeSpan.FromMinutes(1)) == 0, cli.Errors);
            return JsonDocument.Parse(cli.Output.Trim().Split('\n')[^1]).RootElement.Clone();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private async Task<JsonElement> CheckWindowAsync(string model, DateTimeOffset from, DateTimeOffset to)
    {
        using var response = await platform.Http.PostAsJsonAsync($"api/models/{model}/drift", new { from, to });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Logs <paramref name="rows"/> as 3-row requests answered by the model's champion within the hour from <paramref name="from"/>.</summary>
    private async Task LogWindowAsync(string model, DateTimeOffset from, string[] header, IReadOnlyList<string[]> rows, Func<string[], string>? actual = null)
    {
        var served = await platform.Platform.Services.GetRequiredService<ModelCache>().LoadAsync((await platform.Registry.GetVersionAsync(model, 1))!);
        var indexes = served.FeatureNames.Select(f => Array.IndexOf(header, f)).ToArray();
        List<string> lines = [], feedback = [];
        foreach (var (chunk, i) in rows.Chunk(3).Select((c, i) => (c, i)))
        {
            var cells = chunk.Select(r => indexes.Select(k => (string?)r[k]).ToArray()).ToList();
            var at = from.AddSeconds(i * 3600.0 / (rows.Count / 3 + 1));
            var record = new LoggedPrediction($"{at.UtcDateTime:yyyyMMddHHmmss}-{i:x16}", at, 1, ModelRegistry.Champion, null, served.FeatureNames, cells, served.Predictor.Predict(cells));
            lines.Add(JsonSerializer.Serialize(record, LifecycleJson.Compact));
            if (actual is not null)
            {
                feedback.Add(JsonSerializer.Serialize(new LoggedFeedback(record.RequestId, JsonSerializer.SerializeToElement(chunk.Select(actual).ToArray()), at), LifecycleJson.Compact));
            }
        }

        var log = platform.Platform.Services.GetRequiredService<InferenceLogStore>();
        await log.AppendAsync(model, InferenceLogStore.Predictions, from, "test", lines);
        if (feedback.Count > 0)
        {
            await log.AppendAsync(model, InferenceLogStore.Feedback, from, "test", feedback);
        }
    }

    private static List<string[]> Sample(List<string[]> rows, int count, Random random) =>
        [.. Enumerable.Range(0, count).Select(_ => rows[random.Next(rows.Count)])];

    private static string[] Drifted(JsonElement report) =>
        [.. report.GetProperty("features").EnumerateArray().Where(f => f.GetProperty("drifted").GetBoolean()).Select(f => f.GetProperty("feature").GetString()!)];

    private static (string[] Header, List<string[]> Rows) ReadCsv(string path)
    {
        using var stream = File.OpenRead(path);
        var table = CsvLoader.Read(stream);
        return ([.. table.Columns], [.. table.Rows.Select(r => r.Select(c => c ?? "").ToArray())]);
    }

    private static byte[] Csv(string[] header, IEnumerable<string[]> rows)
    {
        var text = new StringBuilder().AppendLine(string.Join(',', header));
        foreach (var row in rows)
        {
            text.AppendLine(string.Join(',', row.Select(c => c.Contains(',') || c.Contains('"') ? $"\"{c.Replace("\"", "\"\"")}\"" : c)));
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
