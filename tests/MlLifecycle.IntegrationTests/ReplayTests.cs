using DurableTask.Core.History;
using MlLifecycle.Workflows;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace MlLifecycle.IntegrationTests;

/// <summary>Orchestrators are deterministic: each replays its recorded history and decides the same things again.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ReplayTests(PlatformFixture platform, ITestOutputHelper output)
{
    [Fact]
    public async Task TrainingRun_AndItsSubOrchestrations_ReplayTheirRecordedHistories_ToTheSameDecisions()
    {
        var replayed = await DurableReplay.ReplayTreeAsync(platform.Platform.StorageConnectionString, platform.CreditRun.RunId, WorkflowRegistration.Tasks);

        output.WriteLine(string.Join("\n", replayed.Select(r => $"{r.Name} {r.InstanceId}: {r.Episodes} episodes")));
        Assert.Equal(ActivityNames.TrainingOrchestration, replayed[0].Name);
        Assert.True(replayed[0].Episodes >= 8, $"{replayed[0].Episodes} episodes");
    }

    /// <summary>The replay can fail: a history whose decisions differ from what the code decides is caught.</summary>
    [Theory]
    [InlineData("Name", "TrainSomethingElse")]
    [InlineData("EventId", 999)]
    public async Task History_ThatTheCodeWouldNotHaveWritten_FailsTheReplay(string field, object value)
    {
        var history = await DurableReplay.HistoryAsync(platform.Platform.StorageConnectionString, platform.CreditRun.RunId);
        var scheduled = history.Where(e => e.Value<int>("EventType") == (int)EventType.TaskScheduled).ToList();
        scheduled[scheduled.Count / 2][field] = JToken.FromObject(value);

        Assert.ThrowsAny<Exception>(() => DurableReplay.Replay(history, WorkflowRegistration.Tasks));
    }
}
