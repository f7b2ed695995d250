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
/// Peak memory against budgets: the resident set (VmHWM, polled from <c>/proc</c>) of <c>mllifecycle train</c> on a
/// large CSV, and of <c>serve</c> with several models loaded. The budgets are the Flex Consumption instance sizes the
/// work would run in: a training run must fit the largest instance (4,096 MB), <c>serve</c> with its models the size
/// <c>bicep/</c> deploys (2,048 MB). Azurite, a separate process, is not counted.
/// </summary>
public static class MemoryBench
{
    public const double TrainBudgetMb = 4096, ServeBudgetMb = 2048;

    public sealed record Measured(int Rows, int Columns, double TrainPeakMb, double TrainSeconds, int Models, double ServeRssMb, double ServePeakMb);

    public static async Task<Measured> RunAsync(int rows, int columns, int models, TextWriter log)
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var folder = Directory.CreateTempSubdirectory("memory-bench-").FullName;
        var keysFile = Path.Combine(folder, "keys.json");
        var (keys, _) = KeyFile.LoadOrCreate(keysFile);
        var environment = new Dictionary<string, string> { ["MLLIFECYCLE_STORAGE"] = azurite.ConnectionString, ["MLLIFECYCLE_KEYS_FILE"] = keysFile };
        try
        {
            var csv = Path.Combine(folder, "large.csv");
            await File.WriteAllBytesAsync(csv, Csv(rows, columns - 1, seed: 5));
            var spec = Path.Combine(folder, "lifecycle.json");
            await File.WriteAllTextAsync(spec, """{"label": "y", "validation": {"folds": 2, "trainers": ["LightGbm"]}}""");
            var watch = Stopwatch.StartNew();
            using var train = ScaleOutBench.StartCli(environment, "train", csv, "--label", "y", "--model", "memory", "--spec", spec, "--json");
            var trainPeak = await PeakUntilExitAsync(train);
            var trainSeconds = watch.Elapsed.TotalSeconds;
            if (train.ExitCode != 0)
            {
                throw new InvalidOperationException($"train exited {train.ExitCode}");
            }

            log.WriteLine($"train on {rows:N0} rows × {columns} columns ({new FileInfo(csv).Length / 1e6:F0} MB): peak RSS {trainPeak:F0} MB in {trainSeconds:F0} s (budget {TrainBudgetMb:F0} MB)");

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
                    await blobs.GetBlobClient($"m{m}/data.csv").UploadAsync(BinaryData.FromBytes(Csv(400, columns - 1, seed: m)), overwrite: true);
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

                var row = Enumerable.Range(0, columns - 1).ToDictionary(c => $"x{c}", c => (object)0.5);
                for (var m = 0; m < models; m++)
                {
                    using var predicted = await http.PostAsJsonAsync($"api/models/m{m}/predict", row);
                    predicted.EnsureSuccessStatusCode();
                }

                var (rss, peak) = Memory(serve.Id);
                log.WriteLine($"serve with {models} models loaded: RSS {rss:F0} MB, peak {peak:F0} MB while it trained them (budget {ServeBudgetMb:F0} MB)");
                return new Measured(rows, columns, trainPeak, trainSeconds, models, rss, peak);
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
