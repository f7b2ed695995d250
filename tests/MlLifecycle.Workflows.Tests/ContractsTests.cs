using Microsoft.DurableTask.Converters;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Tests;

/// <summary>Activity inputs as Durable Task serializes them (the local host's converter).</summary>
public class ContractsTests
{
    private static readonly JsonDataConverter Converter = JsonDataConverter.Default;

    [Fact]
    public void RunContext_Serialized_CarriesNoDerivedBlobNamesAndRoundTrips()
    {
        var run = new RunContext("run-1", "credit", "credit/data.csv", null, "\"0x1\"");

        var json = Converter.Serialize(run)!;
        var back = Converter.Deserialize<RunContext>(json)!;

        Assert.DoesNotContain("runs/run-1", json, StringComparison.Ordinal);
        Assert.Equal(run, back);
        Assert.Equal("credit/runs/run-1/split.json", back.SplitBlob);
    }

    [Fact]
    public void RunRecord_RoundTripsThroughTheDataConverter()
    {
        var started = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var row = new RunRecord("run-1", "credit", RunStatus.Succeeded, "credit/data.csv", 3, "BinaryClassification", new Dictionary<string, double> { ["f1"] = 0.5 }, null, started, started.AddSeconds(20));

        var back = Converter.Deserialize<RunRecord>(Converter.Serialize(row))!;

        Assert.Equal(0.5, back.Metrics!["f1"]);
        Assert.Equal(row with { Metrics = back.Metrics }, back);
    }
}
