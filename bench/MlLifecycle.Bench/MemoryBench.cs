using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Api;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;

namespace MlLifecycle.Bench;

/// <summary>
/// Peak memory against budgets: the resident set (VmHWM, polled from <c>/proc</c>) of <c>mllifecycle train</c> on
/// large tables, and of <c>serve</c> with several models loaded. The budgets are the Flex Consumption instance sizes
/// the work would run in: a training run must fit the largest instance (4,096 MB), <c>serve</c> with its models the size
/// <c>bicep/</c> deploys (2,048 MB). Azurite, a separate process, is not counted. Where a case names a peer,
/// HistGradientBoosting reads the same file and fits it once in a Python process (<c>peer_fit.py</c>), measured alike.
/// </summary>
public static class MemoryBench
{
    public const double TrainBudgetMb = 4096, ServeBudgetMb = 2048;

    /// <summary>The target for 1,000,000 rows × 20 columns.</summary>
    public const double MillionRowsTargetMb = 1000;

    /// <summary>One <c>train</c> command: its file, spec, peak, time, what it printed, and the peer's figures on the same file.</summary>
    public sealed record TrainCase(string Name, string File, long FileBytes, int Rows, int Columns, double PeakMb, double Seconds, int ExitCode, JsonElement? Result, PeerFit? Peer);

    /// <summary>What <c>peer_fit.py</c> printed.</summary>
    public sealed record PeerFit(double ReadSeconds, double FitSeconds, double PeakMb);

    public sealed record Measured(IReadOnlyList<TrainCase> Trains, int Models, double ServeRssMb, double ServePeakMb);

    private const string LightGbmSpec = """{"label": "y", "validation": {"folds": 2, "trainers": ["LightGbm"]}}""";

    public static async Task<Measured> RunAsync(bool quick, TextWriter log)
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var folder = Directory.CreateTempSubdirectory("memory-bench-").FullName;
        var keysFile = Path.Combine(folder, "keys.json");
        var (keys, _) = KeyFile.LoadOrCreate(keysFile);
        var environment = new Dictionary<string, string> { ["MLLIFECYCLE_STORAGE"] = azurite.ConnectionString, ["MLLIFECYCLE_KEYS_FILE"] = keysFile };
        try
        {
            List<TrainCase> trains = [];
            async Task<TrainCase> Train(string name, BenchData.Shape shape, int rows, string format, string spec, int? budgetMb = null, bool peer = false)
            {
                var file = Path.Combine(folder, $"{name}.{format}");
                if (format == "parquet")
                {
                    await BenchData.WriteParquetAsync(file, shape, rows, 20, seed: 5);
                }
                else
                {
                    BenchData.WriteCsv(file, shape, rows, 20, seed: 5);
                }

                var run = await TrainAsync(environment, folder, name, file, spec, budgetMb);
                var fit = peer ? await PeerAsync(file) : null;
                var measured = run with { Rows = rows, Peer = fit };
                log.WriteLine($"train {name} ({rows:N0} rows × 20 columns, {format}, {new FileInfo(file).Length / 1e6:F0} MB): exit {measured.ExitCode}, peak RSS {measured.PeakMb:F0} MB in {measured.Seconds:F0} s"
                    + (fit is null ? "" : $"; HistGradientBoosting: read {fit.ReadSeconds:F1} s, fit {fit.FitSeconds:F1} s, peak {fit.PeakMb:F0} MB"));
                File.Delete(file);
                trains.Add(measured);
                return measured;
            }

            if (quick)
            {
                // One salt for both files: the hash split is salted by the model name unless the spec names one.
                var sampled = """{"label": "y", "split": {"salt": "memory"}, "training": {"sampleRows": 1000}, "validation": {"folds": 2, "trainers": ["LightGbm"]}}""";
                await Train("numbers-csv", BenchData.Shape.Numbers, 5_000, "csv", sampled);
                await Train("numbers-parquet", BenchData.Shape.Numbers, 5_000, "parquet", sampled);
                await Train("over-budget", BenchData.Shape.Numbers, 300_000, "csv", LightGbmSpec, budgetMb: 512);
            }
            else
            {
                await Train("numbers-1m", BenchData.Shape.Numbers, 1_000_000, "csv", LightGbmSpec);
                await Train("mixed-1m", BenchData.Shape.Mixed, 1_000_000, "csv", LightGbmSpec, peer: true);
                var csv = await Train("numbers-10m-csv", BenchData.Shape.Numbers, 10_000_000, "csv", """{"label": "y"}""", budgetMb: 4096, peer: true);
                // The same rows: the peer's figures are its reading of the CSV (no Parquet reader for pandas is served here).
                var parquet = await Train("numbers-10m-parquet", BenchData.Shape.Numbers, 10_000_000, "parquet", """{"label": "y"}""", budgetMb: 4096);
                trains[^1] = parquet with { Peer = csv.Peer };
            }

            var models = quick ? 2 : 10;
            var port = Azurite.FreePort();
            var serveEnvironment = new Dictionary<string, string>(environment) { ["Serving__MaxLoadedModels"] = $"{models}" };
            using var serve = ScaleOutBench.StartCli(serveEnvironment, "serve", "--port", port.ToString(CultureInfo.InvariantCulture));
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(2) };
                http.DefaultRequestHeaders.Add(ApiKeys.Header, keys.Admin);
                await ScaleOutBench.WaitHealthyAsync(serve, port);
                var blobs = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(ArtifactStore.Datasets);
                List<string> runs = [];
                for (var m = 0; m < models; m++)
                {
                    await blobs.GetBlobClient($"m{m}/data.csv").UploadAsync(BinaryData.FromBytes(Csv(400, 19, seed: m)), overwrite: true);
                    using var started = await http.PostAsJsonAsync("api/training", new { model = $"m{m}", dataset = $"m{m}/data.csv", label = "y", spec = new { validation = new { folds = 2, trainers = new[] { "LightGbm" } } } });
                    runs.Add((await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!);
                }

                foreach (var run in runs)
                {
                    while ((await http.GetFromJsonAsync<JsonElement>($"api/runs/{run}")).GetProperty("status").GetString() is "Pending" or "Running")
                    {
                        await Task.Delay(250);
                    }
                }

                var row = Enumerable.Range(0, 19).ToDictionary(c => $"x{c}", c => (object)0.5);
                for (var m = 0; m < models; m++)
                {
                    using var predicted = await http.PostAsJsonAsync($"api/models/m{m}/predict", row);
                    predicted.EnsureSuccessStatusCode();
                }

                var (rss, peak) = Memory(serve.Id);
                log.WriteLine($"serve with {models} models loaded: RSS {rss:F0} MB, peak {peak:F0} MB while it trained them (budget {ServeBudgetMb:F0} MB)");
                return new Measured(trains, models, rss, peak);
            }
            finally
            {
                serve.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs <c>train</c> as a process on its own (no <c>serve</c>), polling its peak; the result is its <c>--json</c> line.</summary>
    private static async Task<TrainCase> TrainAsync(IReadOnlyDictionary<string, string> environment, string folder, string name, string file, string spec, int? budgetMb)
    {
        var specFile = Path.Combine(folder, $"{name}.json");
        await File.WriteAllTextAsync(specFile, spec);
        var withBudget = new Dictionary<string, string>(environment);
        if (budgetMb is { } budget)
        {
            withBudget["MlLifecycle__MemoryBudgetMb"] = budget.ToString(CultureInfo.InvariantCulture);
        }

        var watch = Stopwatch.StartNew();
        using var train = ScaleOutBench.StartCli(withBudget, ["train", file, "--label", "y", "--model", name, "--spec", specFile, "--json"], captureOutput: true);
        var peak = await PeakUntilExitAsync(train);
        var output = ScaleOutBench.Output(train);
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        return new TrainCase(name, Path.GetFileName(file), new FileInfo(file).Length, 0, 20, peak, watch.Elapsed.TotalSeconds, train.ExitCode, last is null ? null : JsonDocument.Parse(last).RootElement.Clone(), null);
    }

    /// <summary>HistGradientBoosting reading and fitting the file once (<c>bench/peer_fit.py</c>, the system Python with scikit-learn).</summary>
    private static async Task<PeerFit> PeerAsync(string file)
    {
        var script = Path.Combine(Repository.Root, "bench", "peer_fit.py");
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(file);
        info.ArgumentList.Add("y");
        info.Environment["OMP_NUM_THREADS"] = $"{Environment.ProcessorCount}";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"peer_fit.py exited {process.ExitCode}: {await stderr}");
        }

        var json = JsonDocument.Parse((await stdout).Trim().Split('\n')[^1]).RootElement;
        return new PeerFit(json.GetProperty("readSeconds").GetDouble(), json.GetProperty("fitSeconds").GetDouble(), json.GetProperty("peakMb").GetDouble());
    }

    /// <summary>Numbers x0…x{n-1} (uniform, 4 decimals) and a binary label y depending on the first two.</summary>
    public static byte[] Csv(int rows, int features, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(string.Join(',', Enumerable.Range(0, features).Select(i => $"x{i}")) + ",y\n");
        var values = new double[features];
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < features; f++)
            {
                values[f] = random.NextDouble();
                text.Append(values[f].ToString("F4", CultureInfo.InvariantCulture)).Append(',');
            }

            text.Append(values[0] + (values[1] * values[1]) + (0.3 * random.NextDouble()) > 0.9 ? "yes\n" : "no\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Polls the process's high-water mark every 100 ms until it exits; the last reading is its peak (VmHWM only grows).</summary>
    private static async Task<double> PeakUntilExitAsync(Process process)
    {
        double peak = 0;
        while (!process.HasExited)
        {
            peak = Math.Max(peak, Memory(process.Id).Peak);
            await Task.Delay(100);
        }

        await process.WaitForExitAsync();
        return peak;
    }

    /// <summary>VmRSS and VmHWM of a live process, in MB (0 once it is gone).</summary>
    private static (double Rss, double Peak) Memory(int pid)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            double Field(string name) => status.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal)) is { } line
                ? double.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024 : 0;
            return (Field("VmRSS:"), Field("VmHWM:"));
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }
}
