using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using Xunit.Abstractions;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// The README's first command, as users run it: <c>demo</c> in its own process on its own storage tours the whole
/// lifecycle — the champion, predictions over HTTP, the drift alert, retraining, the canary — and ends with the
/// retrained version promoted by the monitor.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class DemoTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Demo_ToursTheLifecycle_EndsWithTheRetrainedVersionPromotedByTheMonitor()
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        using var demo = CliProcess.Start(new Dictionary<string, string> { ["MLLIFECYCLE_STORAGE"] = azurite.ConnectionString }, "demo");
        var exit = await demo.WaitAsync(TimeSpan.FromMinutes(6));
        log.WriteLine(demo.Output);

        Assert.True(exit == 0, demo.Errors);
        foreach (var section in new[] { "== 1. Upload", "== 2. Data quality", "== 5. Predictions over HTTP", "== 6. The world drifts", "== 7. The monitor", "== 8. Where to look" })
        {
            Assert.Contains(section, demo.Output, StringComparison.Ordinal);
        }

        Assert.Contains("run blob-", demo.Errors, StringComparison.Ordinal); // stderr is not a terminal here: the run is followed as plain lines
        Assert.Matches(@"\[3/7\] cross-validating 2 trainers × 3 folds \(StratifiedKFold\): [1-6]/6 scored", demo.Errors);
        Assert.Matches(@"\[4/7\] tuning \w+ \(Tpe\): [1-8]/8 trials, best", demo.Errors);
        Assert.Contains("credit-g v1 (BinaryClassification), champion", demo.Output, StringComparison.Ordinal);
        Assert.Matches(@"drift check window-\d{12} of v1 over 300 logged rows: alert raised", demo.Output);
        Assert.Contains("features drifted: duration, credit_amount", demo.Output.Replace("credit_amount, duration", "duration, credit_amount", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("realized quality from the feedback: degraded", demo.Output, StringComparison.Ordinal);
        Assert.Contains("closed loop: promoted v2", demo.Output, StringComparison.Ordinal);
        Assert.Matches(@"demo finished in \d+ s", demo.Output);

        // What it says is what the storage holds: v2 is the champion by the monitor's hand, the check and its report exist.
        var registry = new ModelRegistry(new TableServiceClient(azurite.ConnectionString));
        Assert.Equal(2, (await registry.GetRoutingAsync("credit-g")).Aliases[ModelRegistry.Champion]);
        Assert.Contains(await registry.ListHistoryAsync("credit-g"), h => h.By == "monitor" && h.Alias == ModelRegistry.Champion && h.From == 1 && h.To == 2);
        var check = Assert.Single(await registry.ListDriftChecksAsync("credit-g"));
        Assert.Contains($"/api/models/credit-g/drift/{check.CheckId}/report", demo.Output, StringComparison.Ordinal);
        var store = new ArtifactStore(new BlobServiceClient(azurite.ConnectionString));
        Assert.NotNull(await store.TryReadAsync(ArtifactStore.Artifacts, $"credit-g/drift/{check.CheckId}.json"));
    }
}
