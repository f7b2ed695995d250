using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlLifecycle.Api;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Local.Cli;

/// <summary>
/// <c>demo</c>: the whole lifecycle on the bundled credit-g sample, in a few minutes. Upload with a spec, the data
/// quality report, cross-validation and tuning followed live, the gate and the champion, predictions over HTTP; then
/// the world drifts — a batch of predictions whose inputs moved and whose outcomes changed, fed back — and the monitor
/// raises the drift alert, retrains on the new labelled batch, runs the new version as a canary on half the traffic,
/// and promotes it. It ends with the dashboard's address and the reports' routes.
/// </summary>
internal static class DemoCommand
{
    private const string Label = "class";
    private const int HeldBack = 8;
    private const int DriftedRequests = 300;
    private const int CanaryOutcomes = 30;

    /// <summary>The demo's spec: the sample's own (costs, success criteria) with a small search and a closed loop that bakes a canary for 30 s.</summary>
    private const string Spec = """
        {
          "label": "class", "positiveClass": "bad", "seed": 42,
          "costs": { "falseNegative": 5, "falsePositive": 1 },
          "successCriteria": { "auc": 0.7 },
          "validation": { "folds": 3, "trainers": ["LightGbm", "Linear"] },
          "tuning": { "strategy": "tpe", "maxTrials": 8, "maxConcurrency": 2 },
          "drift": { "minLabels": 50 },
          "monitor": { "retrain": true, "data": "LatestBatch", "canaryWeight": 50, "bakeMinutes": 0.5, "minCanaryLabels": 20 }
        }
        """;

    public static async Task<int> RunAsync(bool verbose, CancellationToken ct)
    {
        var wall = Stopwatch.StartNew();
        var root = LocalPaths.RepositoryRoot();
        var sample = Path.Combine(root, "samples", "credit-g.csv");
        TabularData table;
        await using (var stream = File.OpenRead(sample))
        {
            table = CsvLoader.Read(stream);
        }

        using var loggers = CliContext.CreateLoggerFactory(verbose);
        Console.Error.WriteLine("starting the local platform (Azurite, Durable Task engine on Azure Storage, HTTP API)…");
        var (keys, _) = KeyFile.LoadOrCreate(KeyFile.DefaultPath());
        var options = CliContext.Platform(httpPort: 0, watchBlobs: false, hostWorker: null) with
        {
            Keys = keys,
            Settings = new() { ["Serving:LogSampleRate"] = "1" }, // log every request, so the monitor sees the whole drifted batch
        };
        await using var platform = await LocalPlatform.StartAsync(options, loggers, ct);
        var registry = platform.Services.GetRequiredService<ModelRegistry>();
        var store = platform.Services.GetRequiredService<ArtifactStore>();
        var model = await FreeNameAsync(registry, ct);
        Console.WriteLine($"platform: HTTP API at {platform.BaseAddress}api, storage: {(Environment.GetEnvironmentVariable("MLLIFECYCLE_STORAGE") is null ? $"Azurite, data in {AzuriteOptions.FromEnvironment().DataFolder}" : "MLLIFECYCLE_STORAGE")}; model {model}");

        Section(wall, "1. Upload");
        var training = new FileInfo(Path.Combine(root, ".data", "demo", $"{model}.csv"));
        training.Directory!.Create();
        var heldBack = table.Rows.Skip(table.Rows.Count - HeldBack).ToList();
        await using (var file = File.Create(training.FullName))
        {
            CsvLoader.Write(new TabularData(table.Columns, [.. table.Rows.Take(table.Rows.Count - HeldBack)]), file);
        }

        await store.WriteAsync(ArtifactStore.Datasets, $"{model}/lifecycle.json", BinaryData.FromString(Spec), ct: ct);
        Console.WriteLine($"{Path.GetRelativePath(root, sample)}: {table.Rows.Count} rows; training on {table.Rows.Count - HeldBack}, holding back {HeldBack} to predict over HTTP");
        Console.WriteLine($"spec datasets/{model}/lifecycle.json: 3-fold CV of LightGbm and Linear, 8 TPE trials, drift monitoring with retraining and a 30 s canary");

        Section(wall, "2. Data quality, 3. cross-validation and tuning (followed live), 4. the gate and the champion");
        var run = await Commands.UploadAndWaitAsync(platform, training, model, Label, ct);
        await Commands.PrintQualityAsync(platform, run, ct);
        Commands.PrintRun(run, Console.Out);
        if (run.Status != RunStatus.Succeeded || run.Champion != true)
        {
            return Commands.ExitCode(run, Console.Error) is var code and not 0 ? code : Commands.Fail($"v{run.Version} did not become the champion");
        }

        Section(wall, "5. Predictions over HTTP");
        using var http = new HttpClient { BaseAddress = platform.BaseAddress };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, keys.Function);
        var labelIndex = table.IndexOf(Label);
        var response = await http.PostAsJsonAsync($"api/models/{model}/predict", new { rows = heldBack.Select(r => Row(table, r, labelIndex)).ToList() }, ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        if (!response.IsSuccessStatusCode)
        {
            return Commands.Fail($"prediction failed with {(int)response.StatusCode}: {body}");
        }

        Console.WriteLine($"POST /api/models/{model}/predict → {(int)response.StatusCode}, champion v{body.GetProperty("version")}, requestId {body.GetProperty("requestId")}");
        Console.WriteLine($"  {"actual",-8} {"predicted",-10} probability");
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        for (var i = 0; i < predictions.Count; i++)
        {
            var predicted = predictions[i].GetProperty("label").GetString()!;
            Console.WriteLine($"  {heldBack[i][labelIndex],-8} {predicted,-10} {predictions[i].GetProperty("probabilities").GetProperty(predicted).GetDouble():F3}");
        }

        Section(wall, "6. The world drifts");
        var world = NewWorld(table, labelIndex);
        await store.WriteAsync(ArtifactStore.Monitoring, $"{model}/new-world.csv", BinaryData.FromBytes(Csv(world)), ct: ct);
        Console.WriteLine($"new applicants borrow twice as much for half as long again (credit_amount × 2, duration × 1.5), and the outcomes reversed: monitoring/{model}/new-world.csv holds {world.Rows.Count} labelled rows of this world");
        var from = DateTimeOffset.UtcNow;
        var (right, fed) = await PredictAndFeedBackAsync(http, model, world, labelIndex, DriftedRequests, ct);
        await platform.Services.GetRequiredService<InferenceLog>().FlushAsync(ct);
        var to = DateTimeOffset.UtcNow.AddSeconds(1);
        Console.WriteLine($"{DriftedRequests} predictions of drifted rows over HTTP, each logged; {fed} outcomes fed back (POST /api/models/{model}/feedback): the champion got {right} of them right");

        Section(wall, "7. The monitor: drift alert, retraining, canary, promotion");
        var monitorId = MonitorOrchestration.InstanceId(model, from);
        await platform.Client.ScheduleNewOrchestrationInstanceAsync(ActivityNames.MonitorOrchestration, new MonitorRequest(model, from, to), new Microsoft.DurableTask.StartOrchestrationOptions { InstanceId = monitorId }, ct);
        Console.WriteLine($"monitor {monitorId} over the log window {from:HH:mm:ss}–{to:HH:mm:ss} (the hourly timer starts the same orchestration for each past hour)");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var canary = SendCanaryTrafficAsync(http, registry, platform.Services.GetRequiredService<InferenceLog>(), model, world, labelIndex, stop.Token);
        Dictionary<string, int> traffic;
        try
        {
            var checkedView = await Follow.UntilFinishedAsync(platform, $"monitor {model}", () => View(platform, monitorId, ct), Commands.Line, v => v.IsFinished || v.Step > 1, ct);
            var retrainId = MonitorOrchestration.RetrainId(model, from);
            if (!checkedView.IsFinished && await RetrainStartedAsync(platform, monitorId, retrainId, ct))
            {
                await Commands.WaitAsync(platform, retrainId, ct);
            }

            await Follow.UntilFinishedAsync(platform, $"monitor {model}", () => View(platform, monitorId, ct), Commands.Line, v => v.IsFinished, ct);
        }
        finally
        {
            await stop.CancelAsync();
            traffic = await canary; // its own failure (a request refused) surfaces here, after the monitor's
        }

        var instance = await platform.Client.GetInstanceAsync(monitorId, getInputsAndOutputs: true, ct);
        var result = instance?.ReadOutputAs<MonitorResult>() ?? throw new CliException($"monitor {monitorId} ended {instance?.RuntimeStatus}: {instance?.FailureDetails?.ErrorMessage}");
        PrintMonitor(result, traffic);
        var history = await registry.ListHistoryAsync(model, ct: ct);
        foreach (var change in history.Where(h => h.By == MonitorOrchestration.Actor).OrderBy(h => h.At))
        {
            Console.WriteLine($"  history {change.At:HH:mm:ss}: {change.Action} {change.Alias} {change.From}→{change.To}{(string.IsNullOrEmpty(change.Detail) ? "" : $" ({change.Detail})")}");
        }

        Section(wall, "8. Where to look");
        var champion = (await registry.GetRoutingAsync(model, ct)).Aliases.GetValueOrDefault(ModelRegistry.Champion);
        Console.WriteLine($"champion: {model} v{champion}");
        Console.WriteLine($"dashboard: start `dotnet run --project src/MlLifecycle.Local -- serve` and open http://127.0.0.1:7071/?code={keys.Function}#{model}");
        Console.WriteLine($"reports:   /api/models/{model}/versions/{run.Version}/report, /api/models/{model}/versions/{champion}/report, /api/models/{model}/drift/{result.Check?.CheckId}/report");
        Console.WriteLine($"artifacts: artifacts/{model}/{run.Version}/ and artifacts/{model}/{champion}/ (model.zip, manifest.json, evaluation.json, baseline.json, …), {result.Check?.Report}");
        Console.WriteLine($"demo finished in {wall.Elapsed.TotalSeconds:F0} s");
        return result.Loop?.Action == "promoted" ? 0 : Commands.Fail($"the tour expected the retrained version promoted; the closed loop ended '{result.Loop?.Action}': {result.Loop?.Reason ?? result.Message}");
    }

    private static void Section(Stopwatch wall, string title) => Console.WriteLine($"\n== {title} ({wall.Elapsed.TotalSeconds:F0} s) ==");

    /// <summary><c>credit-g</c>, or <c>credit-g-2</c>, <c>-3</c>, … when an earlier demo left that model.</summary>
    private static async Task<string> FreeNameAsync(ModelRegistry registry, CancellationToken ct)
    {
        for (var n = 1; ; n++)
        {
            var name = n == 1 ? "credit-g" : $"credit-g-{n}";
            if (await registry.ListVersionsAsync(name, ct) is { Count: 0 })
            {
                return name;
            }
        }
    }

    private static async Task<RunView> View(LocalPlatform platform, string id, CancellationToken ct) =>
        await RunView.GetAsync(platform.Client, id, ct) ?? new RunView(id, "Pending", "starting", 0, 5, null, null, null, null, null, null, null, null, null, null, null, null, null, default, default);

    /// <summary>The sample in a changed world: amounts doubled, durations × 1.5, and every outcome the other way.</summary>
    private static TabularData NewWorld(TabularData table, int labelIndex)
    {
        var (amount, duration) = (table.IndexOf("credit_amount"), table.IndexOf("duration"));
        return new TabularData(table.Columns, [.. table.Rows.Select(row =>
        {
            var moved = (string?[])row.Clone();
            moved[amount] = Scale(row[amount], 2);
            moved[duration] = Scale(row[duration], 1.5);
            moved[labelIndex] = row[labelIndex] == "good" ? "bad" : "good";
            return moved;
        })]);

        static string? Scale(string? cell, double by) =>
            cell is not null && SchemaInference.TryParseNumber(cell, out var x) ? Math.Round(x * by).ToString(CultureInfo.InvariantCulture) : cell;
    }

    /// <summary>One request per row (random rows of <paramref name="data"/>), then the rows' outcomes as feedback: how many the model got right, and how many were fed back.</summary>
    private static async Task<(int Right, int Fed)> PredictAndFeedBackAsync(HttpClient http, string model, TabularData data, int labelIndex, int requests, CancellationToken ct)
    {
        var random = new Random(7);
        List<object> feedback = [];
        var right = 0;
        for (var i = 0; i < requests; i++)
        {
            var row = data.Rows[random.Next(data.Rows.Count)];
            var answer = await PredictAsync(http, model, Row(data, row, labelIndex), null, ct);
            right += answer.GetProperty("predictions")[0].GetProperty("label").GetString() == row[labelIndex] ? 1 : 0;
            feedback.Add(new { requestId = answer.GetProperty("requestId").GetString(), actual = row[labelIndex] });
        }

        using var sent = await http.PostAsJsonAsync($"api/models/{model}/feedback", new { feedback }, ct);
        sent.EnsureSuccessStatusCode();
        return (right, feedback.Count);
    }

    private static async Task<JsonElement> PredictAsync(HttpClient http, string model, Dictionary<string, object?> row, string? key, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"api/models/{model}/predict{(key is null ? "" : $"?key={key}")}", row, ct);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return response.IsSuccessStatusCode ? answer : throw new CliException($"prediction failed with {(int)response.StatusCode}: {answer}");
    }

    /// <summary>
    /// While the canary runs: requests with fresh routing keys until each arm has answered <see cref="CanaryOutcomes"/>,
    /// then their outcomes (of the new world) as feedback, written to the log at once so the canary can be judged at the
    /// end of its bake. Returns the requests per arm.
    /// </summary>
    private static async Task<Dictionary<string, int>> SendCanaryTrafficAsync(HttpClient http, ModelRegistry registry, InferenceLog log, string model, TabularData data, int labelIndex, CancellationToken ct)
    {
        var arms = new Dictionary<string, int> { [ModelRegistry.Champion] = 0, [MonitorOrchestration.Challenger] = 0 };
        try
        {
            while ((await registry.GetRoutingAsync(model, ct)).Traffic is null)
            {
                await Task.Delay(250, ct);
            }

            var random = new Random(11);
            List<object> feedback = [];
            while (arms.Values.Min() < CanaryOutcomes)
            {
                var row = data.Rows[random.Next(data.Rows.Count)];
                var answer = await PredictAsync(http, model, Row(data, row, labelIndex), random.NextInt64().ToString("x", CultureInfo.InvariantCulture), ct);
                if (answer.TryGetProperty("variant", out var variant) && variant.GetString() is { } arm && arms.ContainsKey(arm))
                {
                    arms[arm]++;
                    feedback.Add(new { requestId = answer.GetProperty("requestId").GetString(), actual = row[labelIndex] });
                }
            }

            using var sent = await http.PostAsJsonAsync($"api/models/{model}/feedback", new { feedback }, ct);
            sent.EnsureSuccessStatusCode();
            await log.FlushAsync(ct); // in the log before the bake ends
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The loop ended first (no canary: the retrain failed or its gate did).
        }

        return arms;
    }

    /// <summary>
    /// Waits until the monitor's retrain run exists: the monitor reports "retraining" in the step that schedules it,
    /// and the run's instance appears only once a worker takes that message. False when the monitor ends first.
    /// </summary>
    private static async Task<bool> RetrainStartedAsync(LocalPlatform platform, string monitorId, string retrainId, CancellationToken ct)
    {
        while (await RunView.GetAsync(platform.Client, retrainId, ct) is null)
        {
            if ((await View(platform, monitorId, ct)).IsFinished)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }

        return true;
    }

    private static void PrintMonitor(MonitorResult result, Dictionary<string, int> traffic)
    {
        if (result.Check is { } check)
        {
            Console.WriteLine($"drift check {check.CheckId} of v{check.Version} over {check.Rows} logged rows: alert {(check.Alert ? "raised" : "not raised")}");
            Console.WriteLine($"  features drifted: {(check.DriftedFeatures.Count == 0 ? "none" : string.Join(", ", check.DriftedFeatures))} (the window as a whole: {(check.Drifted ? "drifted" : "not drifted, under the spec's drift.driftedShare of features")})");
            Console.WriteLine($"  predictions: {(check.PredictionDrifted ? "drifted" : "not drifted")}; realized quality from the feedback: {check.Concept}");
        }
        else
        {
            Console.WriteLine($"no drift check: {result.Message}");
        }

        if (result.Loop is { } loop)
        {
            Console.WriteLine($"closed loop: {loop.Action} v{loop.Version} — {loop.Reason}");
            if (loop.Canary is { } canary)
            {
                Console.WriteLine($"  canary: {traffic[ModelRegistry.Champion]} champion and {traffic[MonitorOrchestration.Challenger]} challenger requests sent with feedback; outcomes judged {canary.ChampionOutcomes} vs {canary.ChallengerOutcomes}, mean {canary.ChampionMean:F3} vs {canary.ChallengerMean:F3}");
            }
        }
    }

    private static Dictionary<string, object?> Row(TabularData table, string?[] row, int labelIndex) =>
        table.Columns.Select((c, i) => (c, i)).Where(x => x.i != labelIndex).ToDictionary(x => x.c, x => ToJson(row[x.i]));

    private static byte[] Csv(TabularData table)
    {
        using var buffer = new MemoryStream();
        CsvLoader.Write(table, buffer);
        return buffer.ToArray();
    }

    private static object? ToJson(string? cell) =>
        cell is not null && SchemaInference.TryParseNumber(cell, out var number) ? number : cell;
}
