using System.Globalization;
using System.Text;
using Azure.Storage.Blobs;
using MlLifecycle.Core;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Workflows;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// Wide and long uploads train end to end (one trainer, two folds, so the test measures shape, not the trainer sweep),
/// and every Durable message stays far below the 64 KiB queue-message limit: activity inputs and outputs are ids, blob
/// names and metrics, never rows or columns. Shares the processes collection so the kill tests' time bounds never run
/// beside a million rows.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ScaleTests(OrchestrationFixture engine, ITestOutputHelper output) : IClassFixture<OrchestrationFixture>
{
    /// <summary>The most any activity input, activity result or orchestration input may take (a quarter of the queue limit).</summary>
    private const int MaxPayloadBytes = 16 * 1024;

    private const string Spec = """{"label": "y", "seed": 3, "validation": {"folds": 2, "trainers": ["LightGbm"]}}""";

    [Fact]
    public async Task TwoThousandColumns_Train_WithEveryDurablePayloadUnder16KiB()
    {
        var result = await engine.RunAsync("wide-run", "wide", Wide(rows: 300, columns: 2000), Spec, TimeSpan.FromMinutes(10));

        Assert.Equal((RunStatus.Succeeded, (int?)1), (result.Status, result.Version));
        await AssertSmallPayloadsAsync("wide-run");
    }

    [Fact]
    public async Task AMillionRows_Train_WithEveryDurablePayloadUnder16KiB()
    {
        var result = await engine.RunAsync("long-run", "long", Long(1_000_000), Spec, TimeSpan.FromMinutes(10));

        Assert.Equal((RunStatus.Succeeded, (int?)1), (result.Status, result.Version));
        Assert.Equal(1_000_000, result.Data!.RowsRead);
        await AssertSmallPayloadsAsync("long-run");
    }

    /// <summary>Activity inputs as the probe saw them, and results and orchestration inputs as the history keeps them; none offloaded to blobs.</summary>
    private async Task AssertSmallPayloadsAsync(string runId)
    {
        var inputs = WorkflowRegistration.Tasks.Activities.Keys.SelectMany(a => engine.Probe.Inputs(runId, a).Select(i => (What: $"{a} input", Bytes: Encoding.UTF8.GetByteCount(LifecycleJson.Serialize(i)))));
        var history = await DurableReplay.HistoryAsync(engine.Platform.StorageConnectionString, runId);
        var recorded = history.SelectMany(e => new[] { "Result", "Input" }.Select(field => (What: $"{e.Value<int>("EventType")} {field}", Bytes: Encoding.UTF8.GetByteCount(e.Value<string>(field) ?? ""))));
        var payloads = inputs.Concat(recorded).OrderByDescending(p => p.Bytes).ToList();
        var offloaded = new BlobServiceClient(engine.Platform.StorageConnectionString).GetBlobContainerClient($"{DurableEngineOptions.TaskHub}-largemessages");
        var blobs = 0;
        if (await offloaded.ExistsAsync())
        {
            await foreach (var _ in offloaded.GetBlobsAsync())
            {
                blobs++;
            }
        }

        output.WriteLine($"{runId}: {payloads.Count} payloads, largest {string.Join(", ", payloads.Take(3).Select(p => $"{p.What} {p.Bytes:N0} B"))}; {blobs} offloaded to blobs");
        Assert.True(payloads.Count > 10, $"{payloads.Count} payloads");
        Assert.True(payloads[0].Bytes <= MaxPayloadBytes, $"{payloads[0].What} is {payloads[0].Bytes:N0} bytes");
        Assert.Equal(0, blobs);
    }

    /// <summary>Numeric columns f0…; the label depends on the first three.</summary>
    private static byte[] Wide(int rows, int columns)
    {
        var random = new Random(7);
        var text = new StringBuilder(string.Join(',', Enumerable.Range(0, columns).Select(i => $"f{i}"))).Append(",y\n");
        for (var r = 0; r < rows; r++)
        {
            var values = Enumerable.Range(0, columns).Select(_ => Math.Round(random.NextDouble() * 2 - 1, 3)).ToArray();
            text.AppendJoin(',', values.Select(v => v.ToString(CultureInfo.InvariantCulture))).Append(values[0] + values[1] - values[2] > 0 ? ",yes\n" : ",no\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Six numbers and a category per row, the label a noisy function of three of them.</summary>
    private static byte[] Long(int rows)
    {
        var random = new Random(8);
        var text = new StringBuilder("x1,x2,x3,x4,x5,x6,cat,y\n", rows * 48);
        for (var r = 0; r < rows; r++)
        {
            var x = Enumerable.Range(0, 6).Select(_ => Math.Round(random.NextDouble() * 2 - 1, 3)).ToArray();
            var category = random.Next(10);
            text.AppendJoin(',', x.Select(v => v.ToString(CultureInfo.InvariantCulture)))
                .Append(CultureInfo.InvariantCulture, $",c{category},{(x[0] + 0.5 * x[1] + (category == 3 ? 0.5 : 0) + (random.NextDouble() - 0.5) > 0.2 ? "yes" : "no")}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
