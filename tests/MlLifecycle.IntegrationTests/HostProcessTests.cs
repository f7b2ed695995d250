using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// The CLI as separate processes on one storage account, as people run it: crash recovery after SIGKILL, shutdown on
/// SIGTERM and Ctrl+C, and commands side by side.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class HostProcessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, string> Storage(Azurite azurite) => new() { ["MLLIFECYCLE_STORAGE"] = azurite.ConnectionString };

    private static async Task<(ArtifactStore Store, ModelRegistry Registry)> StorageAsync(Azurite azurite)
    {
        var store = new ArtifactStore(new BlobServiceClient(azurite.ConnectionString));
        var registry = new ModelRegistry(new TableServiceClient(azurite.ConnectionString));
        await store.EnsureContainersAsync();
        await registry.EnsureTablesAsync();
        return (store, registry);
    }

    /// <summary>Polls <c>GET /api/runs/{id}</c> on a host until the run ends; returns its status.</summary>
    private static async Task<string?> WaitForRunOverHttpAsync(int port, string runId, TimeSpan timeout)
    {
        using var http = CliProcess.Http(port);
        var deadline = DateTime.UtcNow + timeout;
        string? status = null;
        while (status is not ("Succeeded" or "Failed" or "Rejected") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            try
            {
                status = (await http.GetFromJsonAsync<JsonElement>($"api/runs/{runId}")).GetProperty("status").GetString();
            }
            catch (HttpRequestException)
            {
                // The host is still starting, or the run is not there yet.
            }
        }

        return status;
    }

    /// <summary>
    /// Runs a `serve` until the run has finished 3 units of work (folds, trials), SIGKILLs it, starts a second `serve`
    /// and follows the run there. Returns the work done before the kill, the run's final status, and the seconds from
    /// the second host's start to the run's end; the second host is stopped with SIGTERM, which must end it cleanly.
    /// </summary>
    private async Task<(IReadOnlyList<T> BeforeKill, string? Status, double Seconds)> KillMidRunAndRestartAsync<T>(Azurite azurite, string runId, Func<Task<IReadOnlyList<T>>> done)
    {
        IReadOnlyList<T> beforeKill = [];
        using (var first = CliProcess.Start(Storage(azurite), "serve", "--port", Invariant(Azurite.FreePort())))
        {
            await WaitUntilAsync(async () => (beforeKill = await done()).Count >= 3, TimeSpan.FromMinutes(3));
            first.Signal(9);
            await first.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var port = Azurite.FreePort();
        var started = Stopwatch.StartNew();
        using var second = CliProcess.Start(Storage(azurite), "serve", "--port", Invariant(port));
        var status = await WaitForRunOverHttpAsync(port, runId, TimeSpan.FromMinutes(3));
        var seconds = started.Elapsed.TotalSeconds;
        output.WriteLine($"run {runId}: {beforeKill.Count} done before the kill; {status} {seconds:F1} s after the second host started");
        second.Signal(15);
        Assert.Equal(0, await second.WaitAsync(TimeSpan.FromSeconds(10)));
        return (beforeKill, status, seconds);
    }

    private static async Task WaitForHealthAsync(CliProcess serve, int port)
    {
        using var http = CliProcess.Http(port);
        await WaitUntilAsync(async () =>
        {
            try
            {
                return (await http.GetAsync("api/health")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return serve.Process.HasExited ? throw new InvalidOperationException($"serve exited: {serve.Errors}") : false;
            }
        }, TimeSpan.FromSeconds(90));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not hold in time.");
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task HostKilledMidCrossValidation_NextHostFinishesTheRunWithinAMinute()
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var (store, registry) = await StorageAsync(azurite);
        await store.WriteAsync(ArtifactStore.Datasets, "killcv/lifecycle.json", BinaryData.FromString("""{"label": "y", "validation": {"folds": 5, "trainers": ["LightGbm", "FastTree", "FastForest"]}}"""));
        var upload = await store.Blob(ArtifactStore.Datasets, "killcv/data.csv").UploadAsync(BinaryData.FromBytes(TuningTests.ClassificationCsv(6000, 3)));
        var runId = RunIds.ForBlob("killcv/data.csv", upload.Value.ETag.ToString());

        var (beforeKill, status, seconds) = await KillMidRunAndRestartAsync(azurite, runId, () => registry.ListTrialsAsync(runId));

        Assert.InRange(beforeKill.Count, 3, 14);
        Assert.Equal("Succeeded", status);
        Assert.InRange(seconds, 0, 60);
        Assert.Equal(15, (await registry.ListTrialsAsync(runId)).Count);
    }

    [Fact]
    public async Task HostKilledMidTuning_NextHostFinishesWithinAMinute_WithoutRerunningFinishedTrials()
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var (store, registry) = await StorageAsync(azurite);
        await store.WriteAsync(ArtifactStore.Datasets, "resume/lifecycle.json", BinaryData.FromString(
            """{"label": "y", "validation": {"folds": 2, "trainers": ["LightGbm"]}, "tuning": {"strategy": "random", "maxTrials": 12, "maxConcurrency": 1, "maxResource": 400}}"""));
        var upload = await store.Blob(ArtifactStore.Datasets, "resume/data.csv").UploadAsync(BinaryData.FromBytes(TuningTests.ClassificationCsv(4000, 2)));
        var runId = RunIds.ForBlob("resume/data.csv", upload.Value.ETag.ToString());

        var (beforeKill, status, seconds) = await KillMidRunAndRestartAsync(azurite, runId, () => registry.ListTuningTrialsAsync(runId));

        var after = await registry.ListTuningTrialsAsync(runId);
        Assert.InRange(beforeKill.Count, 3, 11);
        Assert.Equal("Succeeded", status);
        Assert.InRange(seconds, 0, 60);
        Assert.Equal(Enumerable.Range(0, 12), after.Select(t => t.Id).Order());
        foreach (var finished in beforeKill)
        {
            var now = after.Single(t => t.Id == finished.Id);
            Assert.Equal(1, now.Executions);
            Assert.Equal(finished.RecordedAt, now.RecordedAt);
        }
    }

    [Theory]
    [InlineData(15)] // SIGTERM
    [InlineData(2)] // SIGINT, as Ctrl+C sends it
    public async Task Serve_Signalled_ExitsWithin10Seconds_StopsItsAzurite_AndStartsCleanlyAgain(int signal)
    {
        var data = Path.Combine(Path.GetTempPath(), $"mllifecycle-serve-{Guid.NewGuid():N}");
        int[] azurite = [Azurite.FreePort(), Azurite.FreePort(), Azurite.FreePort()];
        var environment = new Dictionary<string, string>
        {
            ["MLLIFECYCLE_AZURITE_BLOB_PORT"] = Invariant(azurite[0]),
            ["MLLIFECYCLE_AZURITE_QUEUE_PORT"] = Invariant(azurite[1]),
            ["MLLIFECYCLE_AZURITE_TABLE_PORT"] = Invariant(azurite[2]),
            ["MLLIFECYCLE_AZURITE_DATA"] = data,
        };
        try
        {
            for (var round = 0; round < 2; round++)
            {
                var port = Azurite.FreePort();
                using var serve = CliProcess.Start(environment, "serve", "--port", Invariant(port));
                await WaitForHealthAsync(serve, port);

                var stopping = Stopwatch.StartNew();
                serve.Signal(signal);
                if (signal == 2 && IgnoresSigint(serve.Process.Id))
                {
                    // Started as a background job of a shell without job control (as a CI script may run the tests):
                    // SIGINT was ignored when serve started, and it keeps ignoring it, as shells expect of such jobs.
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    Assert.False(serve.Process.HasExited, "serve started with SIGINT ignored must keep ignoring it");
                    stopping.Restart();
                    serve.Signal(15);
                }

                var exitCode = await serve.WaitAsync(TimeSpan.FromSeconds(10));

                Assert.Equal(0, exitCode);
                Assert.InRange(stopping.Elapsed.TotalSeconds, 0, 10);
                Assert.All(azurite, p => Assert.False(CliProcess.Listening(p), $"port {p} still listening"));
                Assert.Empty(CliProcess.ProcessesWith(data)); // the Azurite it started is gone
                Assert.False(CliProcess.Listening(port));
            }
        }
        finally
        {
            foreach (var pid in CliProcess.ProcessesWith(data))
            {
                Process.GetProcessById(pid).Kill();
            }

            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>Whether a process ignores SIGINT (bit 2 of SigIgn in <c>/proc/{pid}/status</c>).</summary>
    private static bool IgnoresSigint(int pid) =>
        File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) is { } line
            && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << 1)) != 0;

    /// <summary>
    /// A poison message: the forced failpoint kills every host that runs one run's first activity (as a crash in native
    /// code would). Each death is counted in the attempt log; the fourth delivery is answered as a failure, so the run
    /// fails with its attempt log instead of killing hosts forever, and the next run trains.
    /// </summary>
    [Fact]
    public async Task ActivityThatKillsItsHostEveryTime_FailsItsRunAfterThreeDeaths_WithAnAttemptLog_AndTheNextRunTrains()
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var (store, _) = await StorageAsync(azurite);
        const string spec = """{"label": "y", "validation": {"folds": 2, "trainers": ["LightGbm"], "ensemble": false}, "split": {"refit": false}}""";
        await store.WriteAsync(ArtifactStore.Datasets, "poison/lifecycle.json", BinaryData.FromString(spec));
        await store.WriteAsync(ArtifactStore.Datasets, "healthy/lifecycle.json", BinaryData.FromString(spec));
        var upload = await store.Blob(ArtifactStore.Datasets, "poison/data.csv").UploadAsync(BinaryData.FromBytes(TuningTests.ClassificationCsv(300, 1)));
        var poisoned = RunIds.ForBlob("poison/data.csv", upload.Value.ETag.ToString());
        var environment = new Dictionary<string, string>(Storage(azurite))
        {
            ["MLLIFECYCLE_LOCK_TIMEOUT_SECONDS"] = "5",
            ["MLLIFECYCLE_FAILPOINT"] = ActivityNames.ValidateDataset,
            ["MLLIFECYCLE_FAILPOINT_INSTANCE"] = poisoned,
        };

        var deaths = 0;
        JsonElement? run = null;
        var clock = Stopwatch.StartNew();
        while (run is null && clock.Elapsed < TimeSpan.FromMinutes(4))
        {
            var port = Azurite.FreePort();
            using var serve = CliProcess.Start(environment, "serve", "--port", Invariant(port));
            using var http = CliProcess.Http(port);
            while (run is null && !serve.Process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(4))
            {
                await Task.Delay(250);
                try
                {
                    var view = await http.GetFromJsonAsync<JsonElement>($"api/runs/{poisoned}");
                    run = view.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Rejected" ? view : null;
                }
                catch (HttpRequestException)
                {
                    // Starting, dead, or the run is not there yet.
                }
            }

            if (serve.Process.HasExited)
            {
                Assert.Equal(128 + 9, await serve.WaitAsync(TimeSpan.FromSeconds(5))); // SIGKILL
                deaths++;
            }
            else
            {
                serve.Signal(15);
                Assert.Equal(0, await serve.WaitAsync(TimeSpan.FromSeconds(10)));
            }
        }

        output.WriteLine($"{deaths} deaths, then {run?.GetProperty("status")} after {clock.Elapsed.TotalSeconds:F0} s: {run?.GetProperty("message")}");
        // Durable messages are at-least-once: a duplicate of the activity's message (seen once in 3 runs, after a host
        // died mid-checkpoint) is one more delivery, so the cutoff may come one death early.
        Assert.InRange(deaths, 2, 3);
        Assert.Equal("Failed", run!.Value.GetProperty("status").GetString());
        Assert.Matches("^ValidateDataset failed: Activity ValidateDataset was delivered [3-5] times without an answer, more than the 3 allowed", run.Value.GetProperty("message").GetString());
        var log = new TableClient(azurite.ConnectionString, "activityattempts").Query<TableEntity>(e => e.PartitionKey == poisoned).Single();
        Assert.Equal(ActivityNames.ValidateDataset, log.GetString("Activity"));
        Assert.InRange(log.GetInt32("Attempts") ?? 0, 4, 6);
        Assert.Equal(deaths + 1, log.GetString("Hosts").Split(", ").Distinct().Count());

        // The task hub is not stuck: a healthy upload trains on a host without the failpoint.
        var healthy = await store.Blob(ArtifactStore.Datasets, "healthy/data.csv").UploadAsync(BinaryData.FromBytes(TuningTests.ClassificationCsv(300, 2)));
        var port2 = Azurite.FreePort();
        using var next = CliProcess.Start(Storage(azurite), "serve", "--port", Invariant(port2));
        Assert.Equal("Succeeded", await WaitForRunOverHttpAsync(port2, RunIds.ForBlob("healthy/data.csv", healthy.Value.ETag.ToString()), TimeSpan.FromMinutes(2)));
        next.Signal(15);
        Assert.Equal(0, await next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(new TableClient(azurite.ConnectionString, "activityattempts").Query<TableEntity>(e => e.PartitionKey != poisoned));
    }

    [Fact]
    public async Task Serve_MakesAndPrintsKeysOnFirstStartOnly_InAFileOnlyTheUserReads_AndNoKeyReachesLogsOrBodies()
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var keysFile = Path.Combine(Path.GetTempPath(), $"mllifecycle-keys-{Guid.NewGuid():N}", "keys.json");
        var environment = new Dictionary<string, string>(Storage(azurite)) { ["MLLIFECYCLE_KEYS_FILE"] = keysFile };
        var wrong = MlLifecycle.Api.ApiKeys.Generate().Function;
        try
        {
            var port = Azurite.FreePort();
            string firstOutput;
            using (var first = CliProcess.Start(environment, "serve", "--port", Invariant(port)))
            {
                await WaitForHealthAsync(first, port);
                first.Signal(15);
                Assert.Equal(0, await first.WaitAsync(TimeSpan.FromSeconds(10)));
                firstOutput = first.Output;
            }

            var keys = KeyFile.LoadOrCreate(keysFile).Keys;
            Assert.Contains(keys.Function, firstOutput, StringComparison.Ordinal);
            Assert.Contains(keys.Admin, firstOutput, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keysFile));
            }

            using (var listed = CliProcess.Start(environment, "keys", "--json"))
            {
                Assert.Equal(0, await listed.WaitAsync(TimeSpan.FromSeconds(30)));
                var json = JsonDocument.Parse(listed.Output.Trim().Split('\n')[^1]).RootElement;
                Assert.Equal(keys.Function, json.GetProperty("function").GetString());
                Assert.Equal(keys.Admin, json.GetProperty("admin").GetString());
            }

            port = Azurite.FreePort();
            using var second = CliProcess.Start(environment, "serve", "--port", Invariant(port));
            await WaitForHealthAsync(second, port);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            var bodies = new List<string>();
            foreach (var (method, url, key, inQuery) in new[]
            {
                ("GET", "api/models", keys.Function, false), ("GET", "api/models", keys.Admin, true), ("GET", "api/models", wrong, false),
                ("GET", "api/models", wrong, true), ("PUT", "api/models/m/traffic", keys.Function, true), ("PUT", "api/models/m/traffic", keys.Admin, false),
                ("POST", "api/models/m/predict", keys.Function, true), ("POST", "api/training", keys.Admin, true), ("GET", "api/runs/x", null, false),
            })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), key is not null && inQuery ? $"{url}?code={key}" : url) { Content = method == "GET" ? null : new StringContent("{not json") };
                if (key is not null && !inQuery)
                {
                    request.Headers.Add(MlLifecycle.Api.ApiKeys.Header, key);
                }

                using var response = await http.SendAsync(request);
                bodies.Add($"{(int)response.StatusCode} {response.Headers} {response.Content.Headers} {await response.Content.ReadAsStringAsync()}");
            }

            second.Signal(15);
            Assert.Equal(0, await second.WaitAsync(TimeSpan.FromSeconds(10)));

            Assert.Equal([200, 200, 401, 401, 403, 400, 400, 400, 401], bodies.Select(b => int.Parse(b[..3], CultureInfo.InvariantCulture)));
            Assert.Contains(keysFile, second.Output, StringComparison.Ordinal);
            foreach (var text in bodies.Append(second.Output).Append(second.Errors))
            {
                foreach (var secret in new[] { keys.Function, keys.Admin, wrong })
                {
                    Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(keysFile)!, recursive: true);
        }
    }

    [Fact]
    public async Task TwoTrainsAndServe_SideBySide_TakeAtMost1Point2TimesOneAfterAnother()
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        await StorageAsync(azurite);
        var folder = Path.Combine(Path.GetTempPath(), $"mllifecycle-side-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var spec = Path.Combine(folder, "spec.json");
        await File.WriteAllTextAsync(spec, """{"label": "y", "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"]}}""");
        string Csv(string name, int seed)
        {
            var path = Path.Combine(folder, name + ".csv");
            File.WriteAllBytes(path, TuningTests.ClassificationCsv(3000, seed));
            return path;
        }

        async Task<TimeSpan> TrainAsync(params (string Model, string Csv)[] runs)
        {
            var clock = Stopwatch.StartNew();
            var processes = runs.Select(r => CliProcess.Start(Storage(azurite), "train", r.Csv, "--model", r.Model, "--spec", spec, "--json")).ToList();
            foreach (var process in processes)
            {
                using (process)
                {
                    Assert.True(0 == await process.WaitAsync(TimeSpan.FromMinutes(5)), process.Errors);
                    Assert.Contains("\"status\":\"Succeeded\"", process.Output, StringComparison.Ordinal);
                }
            }

            return clock.Elapsed;
        }

        try
        {
            var oneAfterAnother = await TrainAsync(("seq-a", Csv("a", 1))) + await TrainAsync(("seq-b", Csv("b", 2)));
            var port = Azurite.FreePort();
            using var serve = CliProcess.Start(Storage(azurite), "serve", "--port", Invariant(port));
            await WaitForHealthAsync(serve, port);
            // serve is up: both trains are its clients and it runs both runs.
            var sideBySide = await TrainAsync(("side-a", Csv("c", 1)), ("side-b", Csv("d", 2)));
            serve.Signal(15);
            await serve.WaitAsync(TimeSpan.FromSeconds(10));

            output.WriteLine($"side by side {sideBySide.TotalSeconds:F1} s, one after another {oneAfterAnother.TotalSeconds:F1} s");
            Assert.True(sideBySide.TotalSeconds <= 1.2 * oneAfterAnother.TotalSeconds, $"side by side {sideBySide.TotalSeconds:F1} s, one after another {oneAfterAnother.TotalSeconds:F1} s");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Issue 14's load check: a trained model behind a real <c>serve</c>, 10 s of warm-up and then 60 s of predictions at
    /// a fixed 100 requests/s (open loop: each request leaves on schedule whatever the previous did). Every answer is a
    /// 200, and the host's resident memory at the end is within 10 % of what it was after the warm-up.
    /// </summary>
    [Fact]
    public async Task Serve_60SecondsOfPredictionsAtAFixedRate_AnswersAll_WithMemoryFlat()
    {
        const int rate = 100;
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        await StorageAsync(azurite);
        var folder = Path.Combine(Path.GetTempPath(), $"mllifecycle-load-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var csv = Path.Combine(folder, "load.csv");
            var spec = Path.Combine(folder, "spec.json");
            await File.WriteAllBytesAsync(csv, TuningTests.ClassificationCsv(2000, 5));
            await File.WriteAllTextAsync(spec, """{"label": "y", "validation": {"folds": 2, "trainers": ["LightGbm"]}}""");
            using (var train = CliProcess.Start(Storage(azurite), "train", csv, "--model", "load", "--spec", spec, "--json"))
            {
                Assert.True(0 == await train.WaitAsync(TimeSpan.FromMinutes(3)), train.Errors);
            }

            var port = Azurite.FreePort();
            using var serve = CliProcess.Start(Storage(azurite), "serve", "--port", Invariant(port));
            await WaitForHealthAsync(serve, port);
            using var http = CliProcess.Http(port);
            var row = new Random(11);

            await PredictAtRateAsync(http, rate, TimeSpan.FromSeconds(10), row);
            var warm = ResidentBytes(serve.Process.Id);
            var (latencies, failures) = await PredictAtRateAsync(http, rate, TimeSpan.FromSeconds(60), row);
            var end = ResidentBytes(serve.Process.Id);
            serve.Signal(15);
            await serve.WaitAsync(TimeSpan.FromSeconds(10));

            latencies.Sort();
            double Percentile(double p) => latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(p * latencies.Count) - 1)];
            output.WriteLine($"{latencies.Count + failures.Count} predictions at {rate}/s: p50 {Percentile(0.5):F2} ms, p99 {Percentile(0.99):F2} ms, max {latencies[^1]:F1} ms; RSS {warm / 1048576.0:F1} MiB after warm-up, {end / 1048576.0:F1} MiB at the end ({(end - warm) * 100.0 / warm:+0.0;-0.0} %)");
            Assert.Empty(failures);
            Assert.Equal(60 * rate, latencies.Count);
            Assert.True(end <= warm * 1.10, $"RSS grew from {warm / 1048576.0:F1} MiB to {end / 1048576.0:F1} MiB");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Sends one prediction every 1/<paramref name="rate"/> s for <paramref name="duration"/>; returns the latencies (ms) and failures.</summary>
    private static async Task<(List<double> Latencies, List<string> Failures)> PredictAtRateAsync(HttpClient http, int rate, TimeSpan duration, Random random)
    {
        List<double> latencies = [];
        List<string> failures = [];
        List<Task> inFlight = [];
        var clock = Stopwatch.StartNew();
        var count = (int)(duration.TotalSeconds * rate);
        for (var i = 0; i < count; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var body = new { a = random.NextDouble(), b = random.NextDouble(), c = random.NextDouble() };
            inFlight.Add(Task.Run(async () =>
            {
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsJsonAsync("api/models/load/predict", body);
                    var answer = await response.Content.ReadAsStringAsync();
                    lock (latencies)
                    {
                        if (response.IsSuccessStatusCode)
                        {
                            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                        }
                        else
                        {
                            failures.Add($"{(int)response.StatusCode}: {answer}");
                        }
                    }
                }
                catch (HttpRequestException ex)
                {
                    lock (latencies)
                    {
                        failures.Add(ex.Message);
                    }
                }
            }));
        }

        await Task.WhenAll(inFlight);
        return (latencies, failures);
    }

    /// <summary>A process's resident set size (VmRSS in /proc/{pid}/status).</summary>
    private static long ResidentBytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}
