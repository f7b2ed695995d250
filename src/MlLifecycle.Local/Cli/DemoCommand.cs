using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MlLifecycle.Api;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;

namespace MlLifecycle.Local.Cli;

/// <summary>
/// <c>demo</c>: the lifecycle on the bundled credit-g sample — upload, durable training run, registry, then
/// predictions over HTTP for rows held back from training.
/// </summary>
internal static class DemoCommand
{
    private const string Model = "credit-g";
    private const string Label = "class";
    private const int HeldBack = 8;

    public static async Task<int> RunAsync(bool verbose, CancellationToken ct)
    {
        var root = LocalPaths.RepositoryRoot();
        var sample = Path.Combine(root, "samples", "credit-g.csv");
        TabularData table;
        await using (var stream = File.OpenRead(sample))
        {
            table = CsvLoader.Read(stream);
        }

        var training = new FileInfo(Path.Combine(root, ".data", "demo", "credit-g.csv"));
        training.Directory!.Create();
        var heldBack = table.Rows.Skip(table.Rows.Count - HeldBack).ToList();
        await using (var file = File.Create(training.FullName))
        {
            CsvLoader.Write(new TabularData(table.Columns, table.Rows.Take(table.Rows.Count - HeldBack).ToList()), file);
        }
        Console.WriteLine($"demo: {Path.GetRelativePath(root, sample)} — {table.Rows.Count} rows; training on {table.Rows.Count - HeldBack}, holding back {HeldBack} to predict over HTTP");

        using var loggers = CliContext.CreateLoggerFactory(verbose);
        Console.Error.WriteLine("starting the local platform (Azurite, Durable Task engine on Azure Storage, HTTP API)…");
        await using var platform = await LocalPlatform.StartAsync(CliContext.Platform(httpPort: 0, watchBlobs: false, hostWorker: null), loggers, ct);
        Console.WriteLine($"platform: HTTP API at {platform.BaseAddress}api, storage: {(Environment.GetEnvironmentVariable("MLLIFECYCLE_STORAGE") is null ? $"Azurite, data in {AzuriteOptions.FromEnvironment().DataFolder}" : "MLLIFECYCLE_STORAGE")}");

        var run = await Commands.UploadAndWaitAsync(platform, training, Model, Label, ct);
        await Commands.PrintQualityAsync(platform, run, ct);
        Commands.PrintRun(run, Console.Out);
        if (run.Status != Workflows.RunStatus.Succeeded)
        {
            return Commands.ExitCode(run, Console.Error);
        }

        var labelIndex = table.IndexOf(Label);
        var rows = heldBack.Select(r => table.Columns.Select((c, i) => (c, i)).Where(x => x.i != labelIndex)
            .ToDictionary(x => x.c, x => ToJson(r[x.i]))).ToList();
        using var http = new HttpClient { BaseAddress = platform.BaseAddress };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, platform.Keys.Function);
        var response = await http.PostAsJsonAsync($"api/models/{Model}/predict?version={run.Version}", new { rows }, ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        if (!response.IsSuccessStatusCode)
        {
            return Commands.Fail($"prediction failed with {(int)response.StatusCode}: {body}");
        }

        Console.WriteLine($"POST /api/models/{Model}/predict → {(int)response.StatusCode}, version {body.GetProperty("version")}, requestId {body.GetProperty("requestId")}");
        Console.WriteLine($"  {"actual",-8} {"predicted",-10} probability");
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        var correct = 0;
        for (var i = 0; i < predictions.Count; i++)
        {
            var predicted = predictions[i].GetProperty("label").GetString();
            var probability = predictions[i].GetProperty("probabilities").GetProperty(predicted!).GetDouble();
            correct += predicted == heldBack[i][labelIndex] ? 1 : 0;
            Console.WriteLine($"  {heldBack[i][labelIndex],-8} {predicted,-10} {probability:F3}");
        }

        Console.WriteLine($"  {correct}/{predictions.Count} held-back rows predicted correctly");
        Console.WriteLine($"artifacts: artifacts/{Model}/{run.Version}/ ({(run.RefitRows is null ? "model.zip" : "model.zip served, evaluated.zip measured")}, schema.json, manifest.json, baseline.json); registry: models/aliases/runs tables");
        Console.WriteLine("next: dotnet run --project src/MlLifecycle.Local -- serve   (it prints its keys; then curl -H 'x-functions-key: <function key>' http://127.0.0.1:7071/api/models)");
        Console.WriteLine($"      dotnet run --project src/MlLifecycle.Local -- drift {Model} --data <csv>   (new data against the training baseline)");
        return 0;
    }

    private static object? ToJson(string? cell) =>
        cell is not null && SchemaInference.TryParseNumber(cell, out var number) ? number : cell;
}
