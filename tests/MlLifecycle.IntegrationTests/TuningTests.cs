using System.Net.Http.Json;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

[Collection(PlatformCollection.Name)]
public class TuningTests(PlatformFixture platform)
{
    /// <summary>A seeded binary classification CSV (a, b, c, y), the one the scale-out suite trains on.</summary>
    internal static byte[] ClassificationCsv(int rows, int seed) => MlLifecycle.Bench.ScaleOutBench.Csv(rows, seed);

    [Fact]
    public async Task EightTrialsAtConcurrencyTwo_RunEightTrialActivities_AndRecordEightRows()
    {
        await platform.Store.WriteAsync(ArtifactStore.Datasets, "tune8/lifecycle.json", BinaryData.FromString(
            """{"label": "y", "validation": {"folds": 2, "trainers": ["LightGbm"]}, "tuning": {"strategy": "tpe", "maxTrials": 8, "maxConcurrency": 2, "maxResource": 60}}"""));
        var etag = await platform.UploadAsync("tune8/data.csv", ClassificationCsv(400, 1));

        var run = await platform.WaitForRunAsync(RunIds.ForBlob("tune8/data.csv", etag));
        var scheduled = await platform.CountScheduledAsync(RunIds.Tuning(run.RunId), ActivityNames.RunTrial);

        var trials = await platform.Registry.ListTuningTrialsAsync(run.RunId);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(8, scheduled);
        Assert.Equal(8, trials.Count);
        Assert.Equal(Enumerable.Range(0, 8), trials.Select(t => t.Id).Order());
        Assert.All(trials, t => Assert.Equal(1, t.Executions));
        var manifest = System.Text.Json.JsonDocument.Parse((await platform.Store.ReadAsync(ArtifactStore.Artifacts, $"tune8/{run.Version}/manifest.json")).ToString()).RootElement;
        Assert.Equal(60, manifest.GetProperty("tuning").GetProperty("bestOptions").GetProperty("numberOfIterations").GetDouble());
        Assert.Equal(trials.Max(t => t.Score)!.Value, manifest.GetProperty("tuning").GetProperty("bestScore").GetDouble(), 9);
        var status = await platform.Http.GetFromJsonAsync<System.Text.Json.JsonElement>($"api/runs/{run.RunId}");
        Assert.Equal(8, status.GetProperty("trials").GetArrayLength());
        Assert.Equal(2, status.GetProperty("folds").GetArrayLength());
        Assert.Equal(8, status.GetProperty("tuning").GetProperty("trials").GetInt32());
    }

    [Fact]
    public async Task ThousandTrials_RunAsASubOrchestrationThatContinuesAsNew_WithBoundedHistory()
    {
        await platform.Store.WriteAsync(ArtifactStore.Datasets, "tune1000/lifecycle.json", BinaryData.FromString(
            """{"label": "y", "validation": {"folds": 2, "trainers": ["Linear"]}, "tuning": {"strategy": "random", "maxTrials": 1000, "maxConcurrency": 2}}"""));
        var etag = await platform.UploadAsync("tune1000/data.csv", ClassificationCsv(60, 4));

        var run = await platform.WaitForRunAsync(RunIds.ForBlob("tune1000/data.csv", etag), timeoutSeconds: 900);
        var trials = await platform.Registry.ListTuningTrialsAsync(run.RunId);
        var executions = await platform.HistoryByExecutionAsync(RunIds.Tuning(run.RunId));
        var last = (await platform.Platform.Client.GetInstanceAsync(RunIds.Tuning(run.RunId), getInputsAndOutputs: true))!.ReadInputAs<TuningState>()!;

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(1000, run.Tuning!.Trials);
        Assert.Equal(Enumerable.Range(0, 1000), trials.Select(t => t.Id).Order());
        // 1000 trials, 100 per execution: ten executions ran them, the last one started from all 1000 and stopped on the
        // budget, and no execution's history kept in the table holds more than its 100 trials' events (scheduled and
        // completed, and at worst one orchestrator episode, started and completed, per completion), whatever the total:
        // one history for 1000 trials would hold at least 2000.
        Assert.Equal(1000, last.History.Count);
        Assert.NotEmpty(executions);
        Assert.All(executions.Values, events => Assert.InRange(events, 1, 4 * TuningOrchestration.TrialsPerExecution + 20));
    }
}
