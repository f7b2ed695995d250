using MlLifecycle.Workflows;
using Xunit.Abstractions;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// Durable activities are at-least-once, so each must leave the same blobs and table rows however often it runs. The
/// same training run (cross-validation fan-out, a tuning sub-orchestration, ensemble selection, register and promote)
/// runs on three task hubs of its own (the split is salted by the model's name, so the name must be the same): plainly;
/// with every activity body run twice; and with every activity throwing a transient error after its work, so the retry
/// policy runs it again. Every blob and row the run wrote must be the same in all three, once times, durations and the
/// ids of deployment-history rows are set aside.
/// </summary>
public sealed class ExactlyOnceTests(ITestOutputHelper output)
{
    private const string Model = "exact";
    private const string RunId = "exact-run";
    private const string Spec = """{"label": "y", "seed": 5, "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"]}, "tuning": {"strategy": "random", "maxTrials": 2, "maxConcurrency": 2, "maxResource": 30}}""";

    private static readonly byte[] Data = TuningTests.ClassificationCsv(240, 21);

    [Fact]
    public async Task ActivitiesRunTwice_OrRetriedAfterTheirWork_LeaveTheStateOfOneRun()
    {
        var states = await Task.WhenAll(RunAsync(null), RunAsync(false), RunAsync(true));
        var (once, twice, thrown) = (states[0], states[1], states[2]);

        output.WriteLine($"{once.Count} blobs and rows:\n{string.Join("\n", once.Keys)}");
        output.WriteLine($"run twice:\n{string.Join("\n", RegistryState.Differences(once, twice))}\nretried:\n{string.Join("\n", RegistryState.Differences(once, thrown))}");
        Assert.True(once.Count >= 30, $"{once.Count} blobs and rows");
        Assert.Contains("row models/exact/000001", once.Keys);
        Assert.Contains("row aliases/exact/~history-2", once.Keys);
        Assert.Empty(RegistryState.Differences(once, twice));
        Assert.Empty(RegistryState.Differences(once, thrown));
    }

    /// <summary>Runs the training on a fresh task hub, activities repeated as asked (null: not at all); returns its state.</summary>
    private static async Task<SortedDictionary<string, string>> RunAsync(bool? throwAfter)
    {
        var engine = new OrchestrationFixture();
        await engine.InitializeAsync();
        try
        {
            if (throwAfter is { } mode)
            {
                engine.Probe.Repeat(RunId, mode);
            }

            var result = await engine.RunAsync(RunId, Model, Data, Spec);
            Assert.Equal((RunStatus.Succeeded, (int?)1), (result.Status, result.Version));
            var register = engine.Probe.Inputs(RunId, ActivityNames.RegisterModel).Count;
            Assert.Equal(throwAfter is true ? 2 : 1, register);
            return await RegistryState.CaptureAsync(engine.Platform.StorageConnectionString);
        }
        finally
        {
            await engine.DisposeAsync();
        }
    }
}
