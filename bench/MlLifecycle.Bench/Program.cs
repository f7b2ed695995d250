using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlLifecycle.Api;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

// Usage: dotnet run -c Release --project bench/MlLifecycle.Bench -- cv [rows] [features] [repeats]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- metrics <out-folder> <csv> <label> [<csv> <label> …]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- tuning <csv> <label> [seeds [--optuna] | serve]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- features <csv> <label> <seeds> [spec.json …]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- trainer <csv> <label> <splits> <trainer> [name=option:value,… …]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- serving <baseUrl> <model> [csv] [seconds per run]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- drift [rows] [features] [repeats]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- ensemble <csv> <label> [repeats]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- profile <runId>
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- data-stage <csv> <label>
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- scaleout [--quick]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- orchestration [--quick]
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- data <numbers|mixed> <rows> <file.csv|file.parquet>
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- memory [--quick]   (the system Python with scikit-learn for its peer)
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- columns [rows]   (the table's columns against Apache.Arrow's)
//        dotnet run -c Release --project bench/MlLifecycle.Bench -- fold <csv> <label> [trainer]   (one CV fold's steps, timed)
if (args.FirstOrDefault() == "data" && args.Length == 4)
{
    // data <numbers|mixed> <rows> <file.csv|file.parquet>: the memory suite's tables, to run a command on by hand.
    var shape = Enum.Parse<MlLifecycle.Bench.BenchData.Shape>(args[1], ignoreCase: true);
    var count = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
    if (args[3].EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
    {
        await MlLifecycle.Bench.BenchData.WriteParquetAsync(args[3], shape, count, 20, seed: 5);
    }
    else
    {
        MlLifecycle.Bench.BenchData.WriteCsv(args[3], shape, count, 20, seed: 5);
    }

    return 0;
}

if (args.FirstOrDefault() == "fold" && args.Length >= 3)
{
    MlLifecycle.Bench.FoldBench.Run(args[1], args[2], args.ElementAtOrDefault(3) ?? MlLifecycle.Core.Training.Trainers.LightGbm, Console.Out);
    return 0;
}

if (args.FirstOrDefault() == "columns")
{
    MlLifecycle.Bench.ColumnsBench.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000_000, Console.Out);
    return 0;
}

if (args.FirstOrDefault() == "memory")
{
    var quick = args.Contains("--quick");
    var measured = await MlLifecycle.Bench.MemoryBench.RunAsync(quick, Console.Out);
    return new MlLifecycle.Bench.BenchResult("memory", quick, MlLifecycle.Bench.MemoryFigures.Figures(measured), MlLifecycle.Bench.MemoryFigures.Checks(measured, quick)) { Data = measured }.Write();
}

if (args.FirstOrDefault() == "orchestration")
{
    var quick = args.Contains("--quick");
    var fanOuts = await MlLifecycle.Bench.OrchestrationBench.RunAsync(quick ? [64] : [64, 512], quick ? 1 : 3, Console.Out);
    var lifecycle = await MlLifecycle.Bench.LifecycleBench.RunAsync(quick ? 1_000 : 200_000, 20, quick ? """{"label": "y", "validation": {"folds": 2, "trainers": ["Linear"]}}""" : null, Console.Out);
    return new MlLifecycle.Bench.BenchResult(
        "orchestration",
        quick,
        [
            .. fanOuts.Select(f => new MlLifecycle.Bench.BenchFigure($"{f.Activities}-way no-op fan-out, wall ({f.PerSecond:F0} activities/s, first activity after {f.FirstActivitySeconds * 1000:F0} ms)", f.Seconds, "s", "Task.WhenAll in process", f.InProcessSeconds, "lower")),
            new($"{(quick ? "quick (2 folds, Linear)" : "default")} training run on {lifecycle.Rows:N0} rows × {lifecycle.Columns} columns, wall ({lifecycle.Activities} activities)", lifecycle.WallSeconds, "s", "Σ activity busy time ÷ cores", lifecycle.BusySeconds / lifecycle.Cores, "lower"),
            new($"its overhead share (wall − Σ busy ÷ cores) ÷ wall; no activity running {lifecycle.IdleShare:P1} of the wall", lifecycle.OverheadShare * 100, "%", "the issue's target", 10, "lower"),
        ],
        [])
    {
        Data = new { fanOuts, lifecycle },
    }.Write();
}

if (args.FirstOrDefault() == "scaleout")
{
    var quick = args.Contains("--quick");
    var (hostCounts, trials, chunks) = quick ? (new[] { 2 }, 4, 32) : (new[] { 1, 2, 3 }, 16, 512); // quick: one round, its checks only
    var rounds = await MlLifecycle.Bench.ScaleOutBench.RunAsync(hostCounts, trials, chunks, Console.Out);
    var one = rounds.FirstOrDefault(r => r.Hosts == 1);
    return new MlLifecycle.Bench.BenchResult(
        "scale-out",
        quick,
        [.. rounds.Where(r => one is not null && r != one).SelectMany(r => new[]
        {
            new MlLifecycle.Bench.BenchFigure($"tuning job ({trials} trials), {r.Hosts} hosts", r.TuningSeconds, "s", "1 host", one!.TuningSeconds, "lower"),
            new MlLifecycle.Bench.BenchFigure($"{chunks}-way fan-out (batch chunks), {r.Hosts} hosts", r.FanOutSeconds, "s", "1 host", one!.FanOutSeconds, "lower"),
        })],
        [.. rounds.Select(r => new MlLifecycle.Bench.BenchCheck($"{r.Hosts} hosts: no trial or chunk ran twice, every host did work, clean stops", !r.Problems().Any(), string.Join("; ", r.Problems().DefaultIfEmpty($"activities per host: {string.Join(", ", r.Work.Select(w => w.Total))}"))))])
    {
        Data = rounds,
    }.Write();
}

if (args.FirstOrDefault() == "drift")
{
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
    return DriftBench.Run(Arg(1, 1_000_000), Arg(2, 20), Arg(3, 3));
}

if (args.FirstOrDefault() == "ensemble")
{
    return EnsembleBench.Run(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 21);
}

if (args.FirstOrDefault() == "data-stage")
{
    return DataStageBench.Run(args[1], args[2]);
}

if (args.FirstOrDefault() == "profile")
{
    return await ProfileBench.RunAsync(args[1]);
}

if (args.FirstOrDefault() == "serving")
{
    return await ServingBench.RunAsync(new Uri(args[1]), args[2], args.Length > 3 ? args[3] : "samples/credit-g.csv", TimeSpan.FromSeconds(args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 20));
}

if (args.FirstOrDefault() == "serving-bare")
{
    return await ServingBench.ServeBareAsync();
}

if (args.FirstOrDefault() == "trainer")
{
    return TrainerBench.Run(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), args[4], args[5..]);
}

if (args.FirstOrDefault() == "features")
{
    return FeatureBench.Run(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), args[4..]);
}

if (args.FirstOrDefault() == "tuning")
{
    var bench = new TuningBench(args[1], args[2]);
    return args.Length > 3 && args[3] == "serve" ? bench.Serve() : bench.Report(args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5, withOptuna: args.Contains("--optuna"));
}

if (args.FirstOrDefault() == "metrics")
{
    return MetricsExport.Run(args[1], args.Skip(2).Chunk(2).Select(p => (p[0], p[1])).ToList());
}

// Cross-validation fanned out as Durable activities vs the same folds run one after another in this process.
args = args.SkipWhile(a => a == "cv").ToArray();
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 150_000;
var features = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
const string Spec = """{"label": "y", "validation": {"method": "kFold", "folds": 5, "trainers": ["LightGbm"], "maxConcurrency": 2}}""";
var csv = Synthetic(rows, features, seed: 7);
Console.WriteLine($"dataset: {rows} rows × {features} numeric features, binary label; 5-fold CV of LightGBM; {Environment.ProcessorCount} cores; {repeats} repeats");

// Sequential baseline: the same plan and the same per-fold work (one thread per fold, as the activities use).
var table = TableReader.ReadCsv(new MemoryStream(csv));
var spec = SpecReader.Parse(Spec);
var schema = SchemaInference.Inspect(table, spec).Schema;
var plan = ValidationPlan.Create(table, schema, spec, "bench");
var (featureRows, labels) = FeatureRows.Cells(table, schema);
List<double> sequential = [], sequentialAllCores = [], fanOut = [], foldCompute = [], makespan = [];
for (var r = 0; r < repeats; r++)
{
    sequential.Add(RunSequential(threads: 1));
    sequentialAllCores.Add(RunSequential(threads: null));
}

using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning).AddFilter("DurableTask", LogLevel.Error).AddFilter("Microsoft.DurableTask", LogLevel.Error));
await using var platform = await LocalPlatform.StartAsync(new LocalPlatformOptions(AzuriteOptions.Ephemeral, WatchBlobs: false), loggers);
var store = platform.Services.GetRequiredService<ArtifactStore>();
var registry = platform.Services.GetRequiredService<ModelRegistry>();
await store.WriteAsync(ArtifactStore.Datasets, "bench/lifecycle.json", BinaryData.FromString(Spec));
for (var r = 0; r < repeats; r++)
{
    var runId = await MlLifecycle.Bench.LifecycleBench.TrainAsync(platform, $"bench/data-{r}.csv", csv, new BlobUploadOptions());

    // CV wall time from the orchestration history: first fold scheduled → last fold completed.
    var events = await ProfileBench.ReadHistoryAsync(platform.StorageConnectionString, runId);

    var foldIds = events.Where(e => e.Type == "TaskScheduled" && e.Name == ActivityNames.EvaluateFold).ToList();
    var start = foldIds.Min(e => e.At);
    var trials = await registry.ListTrialsAsync(runId);
    var trainStart = events.Where(e => e.Type == "TaskScheduled" && e.Name == ActivityNames.TrainModel).Min(e => e.At);
    fanOut.Add((trainStart - start).TotalSeconds);
    foldCompute.Add(trials.Sum(t => t.Seconds));
    makespan.Add(Makespan(trials.OrderBy(t => t.Fold).Select(t => t.Seconds).ToList(), slots: 2));
}

var seq = Median(sequential);
var seqAll = Median(sequentialAllCores);
var fan = Median(fanOut);
var compute = Median(foldCompute);
var ideal = Median(makespan);
Console.WriteLine($"sequential, 1 thread per fold (same work):   {seq,7:F2} s   (median of {repeats})");
Console.WriteLine($"sequential, all cores per fold:              {seqAll,7:F2} s");
Console.WriteLine($"fan-out, 5 fold activities, 2 at a time:     {fan,7:F2} s   (history: first fold scheduled → next stage scheduled)");
Console.WriteLine($"  fold compute inside activities (Σ):        {compute,7:F2} s   → makespan of those folds on 2 slots {ideal:F2} s (5 folds: 3 waves)");
Console.WriteLine($"speed-up vs sequential same work:            {seq / fan,7:F2}×  (ceiling 2× on 2 cores; target ≥ 1.6×)");
Console.WriteLine($"speed-up vs sequential all cores:            {seqAll / fan,7:F2}×");
Console.WriteLine($"orchestration overhead share of CV wall:     {Math.Max(0, fan - ideal) / fan,7:P1}  (wall − makespan; target ≤ 10 %)");
Console.WriteLine($"2-thread scaling of this machine (LightGBM): {seq / seqAll,7:F2}×  (sequential 1 thread / all cores)");
return new MlLifecycle.Bench.BenchResult(
    "cv",
    Environment.GetEnvironmentVariable("BENCH_QUICK") == "1",
    [
        new("5-fold CV fanned out as activities, 2 at a time", fan, "s", "the same folds one after another, 1 thread each", seq, "lower"),
        new("5-fold CV fanned out as activities, 2 at a time", fan, "s", "the same folds one after another, all cores each", seqAll, "lower"),
        new("orchestration overhead: fan-out wall", fan, "s", "makespan of the measured fold times on 2 slots", ideal, "lower"),
    ],
    // The ≤ 10 % overhead budget is for folds of real size; a quick run's folds take milliseconds.
    Environment.GetEnvironmentVariable("BENCH_QUICK") == "1" ? [] : [new("orchestration overhead ≤ 10 % of the CV wall time", Math.Max(0, fan - ideal) / fan <= 0.10, $"{Math.Max(0, fan - ideal) / fan:P1} of {fan:F2} s")])
{
    Data = new { rows, features, repeats, sequential, sequentialAllCores, fanOut, foldCompute, makespan },
}.Write();

double RunSequential(int? threads)
{
    var stopwatch = Stopwatch.StartNew();
    foreach (var fold in plan.Folds)
    {
        var model = TrainedModel.Train(schema, fold.Train.Select(i => featureRows[i]).ToList(), fold.Train.Select(i => labels[i]).ToList(), spec.EffectiveSeed, spec, Trainers.LightGbm, threads);
        model.Predict(fold.Validation.Select(i => featureRows[i]).ToList());
    }

    return stopwatch.Elapsed.TotalSeconds;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

// Wall time of running the folds in order on a number of slots, each starting when a slot frees up.
static double Makespan(List<double> durations, int slots)
{
    var free = new double[slots];
    foreach (var duration in durations)
    {
        var slot = Array.IndexOf(free, free.Min());
        free[slot] += duration;
    }

    return free.Max();
}

static byte[] Synthetic(int rows, int features, int seed)
{
    var random = new Random(seed);
    var text = new StringBuilder(string.Join(',', Enumerable.Range(0, features).Select(i => $"x{i}")) + ",y\n");
    for (var r = 0; r < rows; r++)
    {
        var x = Enumerable.Range(0, features).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var logit = x.Select((v, i) => v * (i % 3 == 0 ? 1.5 : 0.3)).Sum() + x[0] * x[1] + random.NextDouble() - 0.5;
        text.Append(string.Join(',', x.Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))).Append(logit > 0 ? ",1\n" : ",0\n");
    }

    return Encoding.UTF8.GetBytes(text.ToString());
}
