using System.Diagnostics.Metrics;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Api;
using MlLifecycle.Core;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Bench;

/// <summary>
/// The whole lifecycle's orchestration overhead: one training run (by default, the default spec: the label only) on the local host,
/// its wall time from the orchestration history (ExecutionStarted → ExecutionCompleted), and the activities' busy
/// time from the product's own <c>mllifecycle.activity.duration</c> measurements (each activity body, end to end).
/// </summary>
public static class LifecycleBench
{
    /// <param name="BusyByActivity">Σ body time of each activity name.</param>
    /// <param name="CoveredSeconds">Time with at least one activity body running (the union of their intervals).</param>
    public sealed record Measured(int Rows, int Columns, int Cores, double WallSeconds, double BusySeconds, double CoveredSeconds, int Activities, IReadOnlyDictionary<string, double> BusyByActivity)
    {
        /// <summary>The issue's measure: (wall − Σ busy ÷ cores) ÷ wall. It also counts a core left idle by a one-activity stage.</summary>
        public double OverheadShare => (WallSeconds - (BusySeconds / Cores)) / WallSeconds;

        /// <summary>The share of the wall time when no activity body runs: the engine's turns and queues alone.</summary>
        public double IdleShare => (WallSeconds - CoveredSeconds) / WallSeconds;
    }

    /// <param name="spec">The run's <c>lifecycle.json</c>; null = the defaults (the upload names the label).</param>
    public static async Task<Measured> RunAsync(int rows, int columns, string? spec, TextWriter log)
    {
        List<(DateTime End, double Seconds, string Name)> bodies = [];
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument == Telemetry.ActivityDuration)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            var name = tags.ToArray().FirstOrDefault(t => t.Key == "activity").Value as string ?? "?";
            lock (bodies)
            {
                bodies.Add((DateTime.UtcNow, seconds, name));
            }
        });
        listener.Start();

        await using var platform = await LocalPlatform.StartAsync(new LocalPlatformOptions(AzuriteOptions.Ephemeral, WatchBlobs: false), NullLoggerFactory.Instance);
        const string Blob = "lifecycle/data.csv";
        if (spec is not null)
        {
            await platform.Services.GetRequiredService<ArtifactStore>().WriteAsync(ArtifactStore.Datasets, "lifecycle/lifecycle.json", BinaryData.FromString(spec));
        }

        var runId = await TrainAsync(platform, Blob, MemoryBench.Csv(rows, columns - 1, seed: 11), new() { Metadata = new Dictionary<string, string> { ["label"] = "y" } });
        var events = await ProfileBench.ReadHistoryAsync(platform.StorageConnectionString, runId);
        var started = events.Single(e => e.Type == "ExecutionStarted").At;
        var ended = events.Single(e => e.Type == "ExecutionCompleted").At;
        var spans = bodies.Select(b => (Start: b.End - TimeSpan.FromSeconds(b.Seconds), b.End)).OrderBy(s => s.Start).ToList();
        var covered = 0.0;
        var until = started;
        foreach (var (start, end) in spans)
        {
            var from = start > until ? start : until;
            var to = end < ended ? end : ended;
            covered += Math.Max(0, (to - from).TotalSeconds);
            until = end > until ? end : until;
        }

        var measured = new Measured(
            rows,
            columns,
            Environment.ProcessorCount,
            (ended - started).TotalSeconds,
            bodies.Sum(b => b.Seconds),
            covered,
            bodies.Count,
            bodies.GroupBy(b => b.Name).OrderByDescending(g => g.Sum(b => b.Seconds)).ToDictionary(g => g.Key, g => g.Sum(b => b.Seconds)));
        log.WriteLine($"{(spec is null ? "default" : "quick")} training run on {rows:N0} rows × {columns} columns: wall {measured.WallSeconds:F1} s, {measured.Activities} activities busy {measured.BusySeconds:F1} s in all ({measured.Cores} cores); overhead share {measured.OverheadShare:P1}, no activity running {measured.IdleShare:P1}");
        foreach (var (name, seconds) in measured.BusyByActivity)
        {
            log.WriteLine($"  {name}: {seconds:F2} s");
        }

        return measured;
    }

    /// <summary>Uploads a dataset, starts its run as the blob trigger would, and waits for it to succeed; its run id.</summary>
    public static async Task<string> TrainAsync(LocalPlatform platform, string blob, byte[] csv, BlobUploadOptions options)
    {
        var upload = await platform.Services.GetRequiredService<ArtifactStore>().Blob(ArtifactStore.Datasets, blob).UploadAsync(BinaryData.FromBytes(csv), options);
        var runId = await platform.Services.GetRequiredService<TrainingStarter>().StartForBlobAsync(platform.Client, blob, upload.Value.ETag.ToString())
            ?? throw new InvalidOperationException($"'{blob}' is not a dataset path");
        RunView? view;
        while ((view = await RunView.GetAsync(platform.Client, runId)) is not { IsFinished: true })
        {
            await Task.Delay(200);
        }

        return view.Status == RunStatus.Succeeded ? runId : throw new InvalidOperationException($"run {runId} ended {view.Status}: {view.Message}");
    }
}
