using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using Xunit.Abstractions;
using static MlLifecycle.Workflows.ActivityNames;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// The failpoint harness: <c>serve</c> as a child process with short lock and lease times, killed with SIGKILL at forced
/// failpoints through a whole lifecycle — after a fold's side effect, inside tuning, inside the fan-in (ensemble
/// selection), at the start of the final training, after the refit, inside register and promote, after the run's
/// record, and in a batch job's plan, chunk and output — and at seeded random moments of a second training. After each death a new host takes over the task hub; the run
/// and the job must complete, and the storage account must equal that of the same work done without a kill: the same
/// blobs (model bytes included), registry rows, metrics and champion, nothing missing and nothing orphaned.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class FailpointHarnessTests(ITestOutputHelper output)
{
    private const string Model = "harness";
    private const string Spec = """{"label": "y", "seed": 4, "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"]}, "tuning": {"strategy": "random", "maxTrials": 3, "maxConcurrency": 2, "maxResource": 30}}""";

    private static readonly string[] TrainingFailpoints =
        [$"{EvaluateFold}:after", $"{RunTrial}:after", $"{SelectEnsemble}:after", TrainModel, $"{RefitModel}:after", $"{RegisterModel}:after", $"{PromoteModel}:after", $"{RecordRun}:after"];

    private static readonly string[] BatchFailpoints = [$"{PlanBatch}:after", $"{ScoreBatchChunk}:after", $"{WriteBatchOutput}:after"];

    /// <summary>A kill from outside: <c>random:{milliseconds after the host answers}</c>.</summary>
    private const string RandomKill = "random:";

    /// <summary>
    /// Eight failpoints in a training run, three in a batch job, then a second training of new data (the gate now
    /// compares with a champion) killed at three seeded random moments, 1.5–3.5 s into a host's life (a kill that comes
    /// after the run has finished is not made). <c>MLLIFECYCLE_SOAK_ROUNDS=N</c> repeats the crashed lifecycle N times
    /// with other seeds against the same uninterrupted one.
    /// </summary>
    [Fact]
    public async Task HostKilledAtFailpointsAndAtRandom_RunsAndABatchJobComplete_WithTheStorageOfAnUninterruptedLifecycle()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("MLLIFECYCLE_SOAK_ROUNDS"), out var n) && n > 0 ? n : 1;
        var clock = Stopwatch.StartNew();
        var golden = await LifecycleAsync([], [], []);
        output.WriteLine($"uninterrupted: {clock.Elapsed.TotalSeconds:F0} s, {golden.State.Count} blobs and rows");
        Assert.True(golden.State.Count >= 40, $"{golden.State.Count} blobs and rows");
        Assert.Contains($"blob predictions/{Model}/{{id2}}.csv", golden.State.Keys);
        Assert.Contains($"row models/{Model}/000002", golden.State.Keys);

        for (var round = 0; round < rounds; round++)
        {
            clock.Restart();
            var random = new Random(20261202 + round);
            var crashed = await LifecycleAsync(TrainingFailpoints, BatchFailpoints, [.. Enumerable.Range(0, 3).Select(_ => $"{RandomKill}{random.Next(1500, 3500)}")]);

            var differences = RegistryState.Differences(golden.State, crashed.State);
            output.WriteLine($"round {round + 1}: {crashed.Kills} kills, {clock.Elapsed.TotalSeconds:F0} s, {differences.Count} differences\n{string.Join("\n", differences)}");
            Assert.InRange(crashed.Kills, TrainingFailpoints.Length + BatchFailpoints.Length + 1, TrainingFailpoints.Length + BatchFailpoints.Length + 3);
            Assert.Empty(differences);
        }
    }

    /// <summary>Trains from an upload, scores a batch upload, trains again on another upload, killing hosts as listed; returns the storage's state and the kills.</summary>
    private async Task<(SortedDictionary<string, string> State, int Kills)> LifecycleAsync(string[] training, string[] batch, string[] retraining)
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var store = new ArtifactStore(new Azure.Storage.Blobs.BlobServiceClient(azurite.ConnectionString));
        await store.EnsureContainersAsync();
        await store.WriteAsync(ArtifactStore.Datasets, $"{Model}/lifecycle.json", BinaryData.FromString(Spec));
        var upload = await store.Blob(ArtifactStore.Datasets, $"{Model}/data.csv").UploadAsync(BinaryData.FromBytes(TuningTests.ClassificationCsv(1500, 31)));
        var runId = RunIds.ForBlob($"{Model}/data.csv", upload.Value.ETag.ToString());
        var kills = await DriveAsync(azurite, training, $"api/runs/{runId}");

        var scoring = await store.Blob(ArtifactStore.Scoring, $"{Model}/batch.csv").UploadAsync(BinaryData.FromBytes(Features(TuningTests.ClassificationCsv(250, 32))));
        var jobId = RunIds.ForScoringBlob($"{Model}/batch.csv", scoring.Value.ETag.ToString());
        kills += await DriveAsync(azurite, batch, $"api/batch/{jobId}");

        var second = await store.Blob(ArtifactStore.Datasets, $"{Model}/more.csv").UploadAsync(BinaryData.FromBytes(TuningTests.ClassificationCsv(1500, 33)));
        var secondRunId = RunIds.ForBlob($"{Model}/more.csv", second.Value.ETag.ToString());
        kills += await DriveAsync(azurite, retraining, $"api/runs/{secondRunId}");
        return (await RegistryState.CaptureAsync(azurite.ConnectionString, runId, jobId, secondRunId), kills);
    }

    /// <summary>
    /// Starts one host per failpoint, each dying (SIGKILL, exit 137) at its failpoint, then a host without one that must
    /// see <paramref name="statusRoute"/> succeed; returns the kills.
    /// </summary>
    private async Task<int> DriveAsync(Azurite azurite, string[] failpoints, string statusRoute)
    {
        var kills = 0;
        foreach (var failpoint in failpoints.Append(null))
        {
            var environment = new Dictionary<string, string>
            {
                ["MLLIFECYCLE_STORAGE"] = azurite.ConnectionString,
                ["MLLIFECYCLE_LOCK_TIMEOUT_SECONDS"] = "4",
                ["MLLIFECYCLE_LEASE_SECONDS"] = "6",
                // The hourly drift timer would check yesterday's (empty) log window in whichever lifecycle crosses the
                // hour: wall-clock work, not the lifecycle's. Once a year instead.
                ["MlLifecycle__DriftSchedule"] = "0 0 0 1 1 *",
            };
            var killAt = failpoint?.StartsWith(RandomKill, StringComparison.Ordinal) == true ? TimeSpan.FromMilliseconds(int.Parse(failpoint[RandomKill.Length..], CultureInfo.InvariantCulture)) : (TimeSpan?)null;
            if (failpoint is not null && killAt is null)
            {
                environment["MLLIFECYCLE_FAILPOINT"] = failpoint;
            }

            var port = Azurite.FreePort();
            using var serve = CliProcess.Start(environment, "serve", "--port", port.ToString(CultureInfo.InvariantCulture));
            using var http = CliProcess.Http(port);
            var life = Stopwatch.StartNew();
            var deadline = DateTime.UtcNow.AddMinutes(3);
            string? status = null;
            while (!serve.Process.HasExited && status is not ("Succeeded" or "Failed" or "Rejected") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
                if (life.Elapsed > killAt)
                {
                    serve.Signal(9);
                    await serve.WaitAsync(TimeSpan.FromSeconds(5));
                    break;
                }

                try
                {
                    status = (await http.GetFromJsonAsync<JsonElement>(statusRoute)).GetProperty("status").GetString();
                }
                catch (HttpRequestException)
                {
                    // Starting, dead, or not started yet.
                }
            }

            if (killAt is not null && !serve.Process.HasExited)
            {
                // The work was done before the kill was due.
                serve.Signal(15);
                Assert.Equal(0, await serve.WaitAsync(TimeSpan.FromSeconds(10)));
                continue;
            }

            if (failpoint is not null)
            {
                Assert.True(serve.Process.HasExited, $"the host passed failpoint {failpoint} without dying ({statusRoute}: {status})");
                Assert.Equal(128 + 9, await serve.WaitAsync(TimeSpan.FromSeconds(5)));
                kills++;
                output.WriteLine($"killed at {failpoint}");
                continue;
            }

            Assert.Equal("Succeeded", status);
            serve.Signal(15);
            Assert.Equal(0, await serve.WaitAsync(TimeSpan.FromSeconds(10)));
        }

        return kills;
    }

    /// <summary>The CSV without its last (label) column.</summary>
    private static byte[] Features(byte[] csv) =>
        Encoding.UTF8.GetBytes(string.Join('\n', Encoding.UTF8.GetString(csv).Split('\n').Select(line => line.Length == 0 ? line : line[..line.LastIndexOf(',')])));
}
