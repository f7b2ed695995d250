using System.Diagnostics;
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
/// Crash recovery on the real engine: two separate `serve` processes share one Azurite; the first is killed
/// (SIGKILL) in the middle of tuning and the second finishes the run from the Durable history.
/// </summary>
public sealed class ResumeTests
{
    private static Process StartHost(string storage, int port)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "mllifecycle.dll"), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["MLLIFECYCLE_STORAGE"] = storage;
        info.Environment["MLLIFECYCLE_LOCK_TIMEOUT_SECONDS"] = "20";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    [Fact]
    public async Task HostKilledMidTuning_NextHostFinishesWithoutRerunningFinishedTrials()
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var store = new ArtifactStore(new BlobServiceClient(azurite.ConnectionString));
        var registry = new ModelRegistry(new TableServiceClient(azurite.ConnectionString));
        await store.EnsureContainersAsync();
        await registry.EnsureTablesAsync();
        await store.WriteAsync(ArtifactStore.Datasets, "resume/lifecycle.json", BinaryData.FromString(
            """{"label": "y", "validation": {"folds": 2, "trainers": ["LightGbm"]}, "tuning": {"strategy": "random", "maxTrials": 12, "maxConcurrency": 1, "maxResource": 400}}"""));
        var upload = await store.Blob(ArtifactStore.Datasets, "resume/data.csv").UploadAsync(BinaryData.FromBytes(TuningTests.ClassificationCsv(4000, 2)));
        var runId = RunIds.ForBlob("resume/data.csv", upload.Value.ETag.ToString());

        var first = StartHost(azurite.ConnectionString, Azurite.FreePort());
        IReadOnlyList<TuningTrialRecord> beforeKill = [];
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while ((beforeKill = await registry.ListTuningTrialsAsync(runId)).Count < 3 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        Assert.InRange(beforeKill.Count, 3, 11);
        var port = Azurite.FreePort();
        var second = StartHost(azurite.ConnectionString, port);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            string? status = null;
            var deadline = DateTime.UtcNow.AddMinutes(4);
            while (status is not ("Succeeded" or "Failed" or "Rejected") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                try
                {
                    status = (await http.GetFromJsonAsync<JsonElement>($"api/runs/{runId}")).GetProperty("status").GetString();
                }
                catch (HttpRequestException)
                {
                    // The second host is still starting.
                }
            }

            var after = await registry.ListTuningTrialsAsync(runId);
            Assert.Equal("Succeeded", status);
            Assert.Equal(Enumerable.Range(0, 12), after.Select(t => t.Id).Order());
            foreach (var finished in beforeKill)
            {
                var now = after.Single(t => t.Id == finished.Id);
                Assert.Equal(1, now.Executions);
                Assert.Equal(finished.RecordedAt, now.RecordedAt);
            }
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }
    }
}
