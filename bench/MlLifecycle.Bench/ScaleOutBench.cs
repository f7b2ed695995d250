using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Api;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;

namespace MlLifecycle.Bench;

/// <summary>What one host process did in a scale-out round: its activities by name, from its health route.</summary>
public sealed record HostWork(int Host, IReadOnlyDictionary<string, long> Activities, int ExitCode)
{
    public long Total => Activities.Values.Sum();
}

/// <summary>One round: <see cref="Hosts"/> <c>serve</c> processes on one task hub, a tuning job and a batch job's fan-out.</summary>
/// <param name="TrialExecutions">Each tuning trial's recorded executions (1 each: no trial ran twice).</param>
public sealed record ScaleOutRound(int Hosts, double TuningSeconds, double FanOutSeconds, int Trials, IReadOnlyList<int> TrialExecutions, int Chunks, IReadOnlyList<HostWork> Work)
{
    public long Ran(string activity) => Work.Sum(w => w.Activities.GetValueOrDefault(activity));

    /// <summary>The round's problems: a trial run twice or not at all, a chunk scored twice, a host with no work, a host that did not stop cleanly.</summary>
    public IEnumerable<string> Problems()
    {
        if (TrialExecutions.Count != Trials || TrialExecutions.Any(e => e != 1))
        {
            yield return $"{Hosts} hosts: trial executions [{string.Join(", ", TrialExecutions)}], expected {Trials} × 1";
        }

        if (Ran("RunTrial") != Trials)
        {
            yield return $"{Hosts} hosts: RunTrial ran {Ran("RunTrial")} times for {Trials} trials";
        }

        if (Ran("ScoreBatchChunk") != Chunks)
        {
            yield return $"{Hosts} hosts: ScoreBatchChunk ran {Ran("ScoreBatchChunk")} times for {Chunks} chunks";
        }

        foreach (var idle in Work.Where(w => w.Total == 0))
        {
            yield return $"{Hosts} hosts: host {idle.Host} ran no activity";
        }

        foreach (var unclean in Work.Where(w => w.ExitCode != 0))
        {
            yield return $"{Hosts} hosts: host {unclean.Host} exited {unclean.ExitCode} on SIGTERM";
        }
    }
}

/// <summary>
/// Scale-out across host processes: for each host count, a fresh in-memory Azurite, that many <c>mllifecycle serve</c>
/// processes on its one task hub, then the same tuning job (random search, <c>trials</c> trials) and the same batch
/// job of <c>chunks</c> chunks (the product's fan-out of scoring activities) started over HTTP. Each host's health
/// route says which activities it ran; the trials table says how often each trial ran.
/// </summary>
public static class ScaleOutBench
{
    /// <summary>Rows per batch chunk: the smallest the product allows, so a fan-out costs little compute.</summary>
    public const int ChunkRows = 100;

    public static async Task<IReadOnlyList<ScaleOutRound>> RunAsync(IReadOnlyList<int> hostCounts, int trials, int chunks, TextWriter log, CancellationToken ct = default)
    {
        List<ScaleOutRound> rounds = [];
        foreach (var hosts in hostCounts)
        {
            rounds.Add(await RoundAsync(hosts, trials, chunks, log, ct));
        }

        return rounds;
    }

    private static async Task<ScaleOutRound> RoundAsync(int hostCount, int trials, int chunks, TextWriter log, CancellationToken ct)
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance, ct);
        var keysFile = Path.Combine(Path.GetTempPath(), $"mllifecycle-scaleout-keys-{Environment.ProcessId}.json");
        var (keys, _) = KeyFile.LoadOrCreate(keysFile);
        var environment = new Dictionary<string, string>
        {
            ["MLLIFECYCLE_STORAGE"] = azurite.ConnectionString,
            ["MLLIFECYCLE_KEYS_FILE"] = keysFile,
            ["MlLifecycle__BatchChunkRows"] = ChunkRows.ToString(CultureInfo.InvariantCulture),
            ["MlLifecycle__BatchMaxConcurrency"] = "64",
            ["MlLifecycle__DriftSchedule"] = "0 0 0 1 1 *", // once a year: no timer work during the round
        };
        List<(Process Process, int Port)> hosts = [];
        // A bench stopped by a signal stops its hosts too (the finally below would not run).
        void KillHosts()
        {
            foreach (var (process, _) in hosts.Where(h => !h.Process.HasExited))
            {
                process.Kill(entireProcessTree: true);
            }
        }

        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => KillHosts());
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => KillHosts());
        try
        {
            for (var i = 0; i < hostCount; i++)
            {
                var port = Azurite.FreePort();
                hosts.Add((StartServe(environment, port), port));
            }

            foreach (var (process, port) in hosts)
            {
                await WaitHealthyAsync(process, port, ct);
            }

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{hosts[0].Port}/"), Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.Add(ApiKeys.Header, keys.Admin);
            var blobs = new BlobServiceClient(azurite.ConnectionString);
            var spec = new { label = "y", seed = 3, validation = new { folds = 2, trainers = new[] { "LightGbm" } }, tuning = new { strategy = "random", maxTrials = trials, maxConcurrency = Math.Max(2, 2 * hostCount), maxResource = 50 } };
            await blobs.GetBlobContainerClient(ArtifactStore.Datasets).GetBlobClient("scale/data.csv").UploadAsync(BinaryData.FromBytes(Csv(600, 1)), overwrite: true, ct);
            var started = await PostAsync(http, "api/training", new { model = "scale", dataset = "scale/data.csv", spec }, ct);
            var run = await UntilFinishedAsync(http, $"api/runs/{started.GetProperty("runId").GetString()}", ct);
            var tuningSeconds = Seconds(run);
            if (run.GetProperty("status").GetString() != "Succeeded")
            {
                throw new InvalidOperationException($"the tuning run ended {run.GetProperty("status")}: {run}");
            }

            await blobs.GetBlobContainerClient(ArtifactStore.Monitoring).GetBlobClient("scale/batch.csv").UploadAsync(BinaryData.FromBytes(Csv(chunks * ChunkRows, 2)), overwrite: true, ct);
            var job = await PostAsync(http, "api/models/scale/batch", new { input = "monitoring/scale/batch.csv" }, ct);
            var batch = await UntilFinishedAsync(http, $"api/batch/{job.GetProperty("jobId").GetString()}", ct);
            if (batch.GetProperty("status").GetString() != "Succeeded")
            {
                throw new InvalidOperationException($"the batch job ended {batch.GetProperty("status")}: {batch}");
            }

            var registry = new ModelRegistry(new TableServiceClient(azurite.ConnectionString));
            var executions = (await registry.ListTuningTrialsAsync(run.GetProperty("runId").GetString()!, ct)).Select(t => t.Executions).ToList();
            List<HostWork> work = [];
            for (var i = 0; i < hosts.Count; i++)
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{hosts[i].Port}/") };
                var health = await client.GetFromJsonAsync<JsonElement>("api/health", ct);
                var activities = health.GetProperty("activities").EnumerateObject().ToDictionary(a => a.Name, a => a.Value.GetInt64());
                work.Add(new HostWork(i + 1, activities, await StopAsync(hosts[i].Process)));
            }

            var round = new ScaleOutRound(hostCount, tuningSeconds, Seconds(batch), trials, executions, chunks, work);
            log.WriteLine($"{hostCount} host(s): tuning {round.TuningSeconds:F1} s, {chunks}-chunk fan-out {round.FanOutSeconds:F1} s; per host: {string.Join("; ", work.Select(w => $"#{w.Host} {w.Total} activities (RunTrial {w.Activities.GetValueOrDefault("RunTrial")}, ScoreBatchChunk {w.Activities.GetValueOrDefault("ScoreBatchChunk")})"))}");
            return round;
        }
        finally
        {
            KillHosts();
            File.Delete(keysFile);
        }
    }

    /// <summary>A seeded binary classification CSV: three numbers and a label that depends on two of them.</summary>
    public static byte[] Csv(int rows, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("a,b,c,y\n");
        for (var i = 0; i < rows; i++)
        {
            double a = random.NextDouble(), b = random.NextDouble(), c = random.NextDouble();
            text.Append(CultureInfo.InvariantCulture, $"{a:F4},{b:F4},{c:F4},{(a + (b * b) + (0.2 * random.NextDouble()) > 0.8 ? "yes" : "no")}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static Process StartServe(IReadOnlyDictionary<string, string> environment, int port) =>
        StartCli(environment, "serve", "--port", port.ToString(CultureInfo.InvariantCulture));

    /// <summary>Starts <c>mllifecycle {args}</c> (the CLI built beside this harness) with the environment; its stderr's last lines are kept for errors.</summary>
    internal static Process StartCli(IReadOnlyDictionary<string, string> environment, params string[] args) => StartCli(environment, args, captureOutput: false);

    /// <summary><see cref="StartCli(IReadOnlyDictionary{string, string}, string[])"/>, keeping the last lines of stdout too when asked (<see cref="Output"/>).</summary>
    internal static Process StartCli(IReadOnlyDictionary<string, string> environment, string[] args, bool captureOutput)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mllifecycle.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var errors = new Queue<string>();
        Errors[process.Id] = errors;
        var output = new Queue<string>();
        Outputs[process.Id] = output;
        process.OutputDataReceived += (_, e) =>
        {
            if (captureOutput && e.Data is { } line)
            {
                lock (output)
                {
                    output.Enqueue(line);
                    while (output.Count > 5)
                    {
                        output.Dequeue();
                    }
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.Enqueue(e.Data ?? "");
                while (errors.Count > 20)
                {
                    errors.Dequeue();
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The last lines each process started with captured output wrote to stdout.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Queue<string>> Outputs = new();

    /// <summary>The last lines a process wrote to stdout (after it exited, all of them have arrived).</summary>
    internal static string Output(Process process)
    {
        process.WaitForExit();
        var output = Outputs.GetValueOrDefault(process.Id) ?? new Queue<string>();
        lock (output)
        {
            return string.Join('\n', output);
        }
    }

    /// <summary>The last lines each host wrote to stderr, for the error that says it failed.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Queue<string>> Errors = new();

    private static string Tail(Process process)
    {
        var errors = Errors.GetValueOrDefault(process.Id) ?? new Queue<string>();
        lock (errors)
        {
            return string.Join('\n', errors);
        }
    }

    internal static async Task WaitHealthyAsync(Process process, int port, CancellationToken ct = default)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"serve on port {port} exited {process.ExitCode} while starting:\n{Tail(process)}");
            }

            try
            {
                using var response = await http.GetAsync("api/health", ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            await Task.Delay(250, ct);
        }

        throw new TimeoutException($"serve on port {port} did not answer /api/health within 90 s:\n{Tail(process)}");
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string route, object body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(route, body, ct);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return response.IsSuccessStatusCode ? answer : throw new InvalidOperationException($"POST {route} → {(int)response.StatusCode}: {answer}");
    }

    private static async Task<JsonElement> UntilFinishedAsync(HttpClient http, string route, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (DateTime.UtcNow < deadline)
        {
            var state = await http.GetFromJsonAsync<JsonElement>(route, ct);
            if (state.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Rejected" or "Terminated")
            {
                return state;
            }

            await Task.Delay(200, ct);
        }

        throw new TimeoutException($"{route} did not finish within 10 minutes");
    }

    /// <summary>Created to last update, as the orchestration recorded them.</summary>
    private static double Seconds(JsonElement state) =>
        (state.GetProperty("lastUpdatedAt").GetDateTimeOffset() - state.GetProperty("createdAt").GetDateTimeOffset()).TotalSeconds;

    /// <summary>SIGTERM, then the exit code (137 if it had to be killed after 30 s).</summary>
    private static async Task<int> StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return process.ExitCode;
        }

        _ = Kill(process.Id, 15);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return 137;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
