using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using static MlLifecycle.Workflows.ActivityNames;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// <see cref="Workflows.BatchScoringOrchestration"/> on the real Durable engine with the real activities: a model trained here,
/// inputs of about a thousand rows in 100-row chunks scored one at a time (the fixture's settings). One activity of one
/// job is substituted only to inject a failure or to slow it down.
/// </summary>
public sealed class BatchScoringOrchestrationTests(OrchestrationFixture engine) : IClassFixture<OrchestrationFixture>
{
    private const string Model = "scorer";

    /// <summary>1,050 rows: ten full chunks and one of 50.</summary>
    private static readonly byte[] Input = TuningTests.ClassificationCsv(1_050, 3);

    [Fact]
    public async Task RunAsync_ScoresEachChunkOnceWithThePinnedVersion_OneAtATime_AndWritesThemInInputOrder()
    {
        var version = await ChampionAsync();

        var result = await ScoreAsync("order-1", "order");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal((version, 1_050, 11, $"predictions/{Model}/order-1.csv"), (result.Version, result.Rows, result.Chunks, result.Output));
        Assert.Equal([PlanBatch, .. Enumerable.Repeat(ScoreBatchChunk, 11), WriteBatchOutput, CleanUpBatch], await engine.ScheduledAsync("order-1"));
        Assert.Equal(1, engine.Probe.MostRunning("order-1", ScoreBatchChunk));
        var chunks = engine.Probe.Inputs("order-1", ScoreBatchChunk).Cast<BatchChunk>().OrderBy(c => c.Index).ToList();
        Assert.Equal(Enumerable.Range(0, 11).Select(i => (i, 100 * i, i < 10 ? 100 : 50, version)), chunks.Select(c => (c.Index, c.FirstRow, c.Rows, c.Version)));
        Assert.Equal("", BatchScoringTests.FirstDifference(await ExpectedAsync(version), await OutputAsync("order-1")));
        Assert.Empty(await BlobsAsync($"{Model}/batch/"));
        var progress = (await engine.Client.GetInstanceAsync("order-1", getInputsAndOutputs: true))!.ReadCustomStatusAs<BatchProgress>();
        Assert.Equal(new BatchProgress(RunStatus.Succeeded, version, 11, 11, 1_050, 1_050), progress);
        Assert.True((await DurableReplay.ReplayTreeAsync(engine.Platform.StorageConnectionString, "order-1", WorkflowRegistration.Tasks)).Single().Episodes > 11);
    }

    [Fact]
    public async Task RunAsync_ChunkFails_FailsNamingTheActivity_WithoutRetryingIt_WritesNoOutput_AndDeletesTheChunks()
    {
        await ChampionAsync();
        engine.Probe.Substitute("broken-1", ScoreBatchChunk, _ => throw new InvalidOperationException("the model could not be read"));

        var result = await ScoreAsync("broken-1", "broken");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("ScoreBatchChunk failed: the model could not be read", result.Message);
        Assert.Null(result.Output);
        Assert.Equal([PlanBatch, ScoreBatchChunk, CleanUpBatch], await engine.ScheduledAsync("broken-1"));
        Assert.Null(await engine.Store.TryGetPropertiesAsync(ArtifactStore.Predictions, $"{Model}/broken-1.csv"));
        Assert.Empty(await BlobsAsync($"{Model}/batch/broken-1/"));
    }

    [Fact]
    public async Task RunAsync_UnknownAliasOrReplacedInput_FailsInThePlanWithTheReason_AndScoresNothing()
    {
        await ChampionAsync();

        var alias = await ScoreAsync("alias-1", "alias", request => request with { Alias = "nope" });
        var replaced = await ScoreAsync("stale-1", "stale", request => request with { ETag = "0x8DE0000000000000" });

        Assert.Equal((RunStatus.Failed, $"Model '{Model}' has no 'nope' version."), (alias.Status, alias.Message));
        Assert.Equal((RunStatus.Failed, $"Input blob 'scoring/{Model}/stale.csv' does not exist or was replaced after the job started."), (replaced.Status, replaced.Message));
        Assert.Equal([PlanBatch, CleanUpBatch], await engine.ScheduledAsync("alias-1"));
        Assert.Equal([PlanBatch, CleanUpBatch], await engine.ScheduledAsync("stale-1"));
    }

    [Fact]
    public async Task RunAsync_WorkerRestartedMidJob_WritesTheSameOutput_WithoutReschedulingFinishedChunks()
    {
        var version = await ChampionAsync();
        var real = engine.Platform.Services.GetRequiredService<Workflows.Activities.ScoreBatchChunk>();
        engine.Probe.Substitute("restart-1", ScoreBatchChunk, async input =>
        {
            await Task.Delay(250);
            return await real.RunAsync((BatchChunk)input!);
        });

        await StartAsync("restart-1", "restart");
        while (engine.Probe.Completed("restart-1", ScoreBatchChunk) < 3)
        {
            await Task.Delay(50);
        }

        await engine.RestartWorkerAsync();
        var result = await WaitAsync("restart-1");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(11, (await engine.ScheduledAsync("restart-1")).Count(a => a == ScoreBatchChunk));
        Assert.InRange(engine.Probe.Inputs("restart-1", ScoreBatchChunk).Count, 11, 12); // at most the chunk in flight runs twice
        Assert.Equal("", BatchScoringTests.FirstDifference(await ExpectedAsync(version), await OutputAsync("restart-1")));
    }

    /// <summary>The champion of <see cref="Model"/>, trained by the first test that needs it.</summary>
    private async Task<int> ChampionAsync()
    {
        if (await engine.Registry.ResolveAliasAsync(Model, ModelRegistry.Champion) is { } version)
        {
            return version;
        }

        var run = await engine.RunAsync("scorer-train", Model, TuningTests.ClassificationCsv(120, 11), """{"label": "y", "seed": 7, "validation": {"folds": 2, "trainers": ["Linear"]}}""");
        Assert.True(run.Champion, run.Message);
        return run.Version!.Value;
    }

    /// <summary>Uploads <see cref="Input"/> as <c>scoring/{model}/{name}.csv</c> and starts a job on it under <paramref name="jobId"/> (champion, resolved by the job).</summary>
    private async Task StartAsync(string jobId, string name, Func<BatchRequest, BatchRequest>? edit = null)
    {
        await engine.Store.WriteAsync(ArtifactStore.Scoring, $"{Model}/{name}.csv", BinaryData.FromBytes(Input));
        var request = new BatchRequest(Model, $"{ArtifactStore.Scoring}/{Model}/{name}.csv");
        await engine.Client.ScheduleNewOrchestrationInstanceAsync(ActivityNames.BatchScoringOrchestration, (edit ?? (r => r))(request), new StartOrchestrationOptions(jobId));
    }

    private async Task<BatchResult> WaitAsync(string jobId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await engine.Client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<BatchResult>()!;
    }

    private async Task<BatchResult> ScoreAsync(string jobId, string name, Func<BatchRequest, BatchRequest>? edit = null)
    {
        await StartAsync(jobId, name, edit);
        return await WaitAsync(jobId);
    }

    private async Task<byte[]> ExpectedAsync(int version)
    {
        var model = await BatchScoringTests.LoadAsync(engine.Store, engine.Registry, Model, version);
        var input = CsvLoader.Read(new MemoryStream(Input));
        return BatchScoringTests.Write(input, model.Predict(PredictionInput.FromTable(input, model.Schema)), model.Schema);
    }

    private async Task<byte[]> OutputAsync(string jobId) => (await engine.Store.ReadAsync(ArtifactStore.Predictions, $"{Model}/{jobId}.csv")).ToArray();

    /// <summary>Blobs of the <c>artifacts</c> container under <paramref name="prefix"/>.</summary>
    private async Task<List<string>> BlobsAsync(string prefix)
    {
        List<string> names = [];
        await foreach (var blob in engine.Store.Service.GetBlobContainerClient(ArtifactStore.Artifacts).GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, default))
        {
            names.Add(blob.Name);
        }

        return names;
    }
}
