using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MlLifecycle.Api;
using MlLifecycle.Core;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// What an OpenTelemetry exporter receives from a lifecycle: the in-memory exporter subscribed to the hosts' own
/// sources and meters (<see cref="TelemetrySetup"/>), a training with tuning on the real Durable engine, predictions
/// over HTTP on a serving host that traces every request, and a drift check.
/// </summary>
public sealed class TelemetryTests(OrchestrationFixture engine) : IClassFixture<OrchestrationFixture>
{
    private const string Spec = """{"label": "y", "seed": 3, "validation": {"folds": 2, "trainers": ["LightGbm"]}, "tuning": {"strategy": "random", "maxTrials": 2}}""";

    [Fact]
    public async Task ALifecycle_IsOneTracePerRun_WithActivityAndStorageSpans_AndPredictionAndDriftMetrics()
    {
        List<Activity> spans = [];
        List<Metric> metrics = [];
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(TelemetrySetup.Sources).AddInMemoryExporter(spans).Build();
        using var metering = Sdk.CreateMeterProviderBuilder().AddMeter(TelemetrySetup.Meters).AddInMemoryExporter(metrics).Build();

        var run = await engine.RunAsync("telemetry-1", "telemetry", TuningTests.ClassificationCsv(150, 8), Spec);
        Assert.Equal(RunStatus.Succeeded, run.Status);

        await using (var host = await engine.StartHttpHostAsync(("Serving:TraceSampleRate", "1")))
        {
            using var http = new HttpClient { BaseAddress = host.BaseAddress };
            http.DefaultRequestHeaders.Add(ApiKeys.Header, host.Keys.Admin);
            foreach (var body in new object[] { new { a = 0.9, b = 0.5, c = 0.1 }, new { rows = new[] { new { a = 0.1, b = 0.1, c = 0.3 }, new { a = 0.5, b = 0.9, c = 0.2 } } } })
            {
                using var response = await http.PostAsJsonAsync("api/models/telemetry/predict", body);
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            }

            await engine.Store.WriteAsync(ArtifactStore.Monitoring, "telemetry/window.csv", BinaryData.FromBytes(TuningTests.ClassificationCsv(100, 9)));
            await host.Services.GetRequiredService<DriftMonitor>().CheckAsync(new DriftCheckRequest("telemetry", "check-1", Data: $"{ArtifactStore.Monitoring}/telemetry/window.csv"));
        }

        tracing.ForceFlush();
        metering.ForceFlush();

        // The run: one trace, from the start request, holding its orchestration, the tuning sub-orchestration and every
        // activity (scheduled, then run), with the storage calls made inside the activities as their children.
        var root = Assert.Single(spans, s => s.OperationName == "create_orchestration:" + ActivityNames.TrainingOrchestration && (string?)s.GetTagItem("durabletask.task.instance_id") == "telemetry-1");
        Assert.Equal(default, root.ParentSpanId);
        var trace = spans.Where(s => s.TraceId == root.TraceId).ToList();
        Assert.Single(trace, s => s.OperationName == "orchestration:" + ActivityNames.TrainingOrchestration);
        var activities = trace.Where(s => s.OperationName.StartsWith("activity:", StringComparison.Ordinal)).Select(s => s.OperationName["activity:".Length..]).ToHashSet();
        Assert.Superset(
            new HashSet<string> { ActivityNames.ValidateDataset, ActivityNames.SplitDataset, ActivityNames.EvaluateFold, ActivityNames.RunTrial, ActivityNames.TrainModel, ActivityNames.EvaluateModel, ActivityNames.RegisterModel, ActivityNames.PromoteModel, ActivityNames.RecordRun },
            activities);
        Assert.Contains(trace, s => s.OperationName.StartsWith("orchestration:" + ActivityNames.TuningOrchestration, StringComparison.Ordinal));
        var storage = trace.Where(s => s.Source.Name == Telemetry.Name && s.OperationName.StartsWith("storage ", StringComparison.Ordinal)).ToList();
        Assert.True(storage.Count >= 20, $"{storage.Count} storage spans in the run's trace");
        var ids = trace.ToDictionary(s => s.SpanId);
        Assert.All(storage, s => Assert.StartsWith("activity:", ids[s.ParentSpanId].OperationName, StringComparison.Ordinal));
        Assert.DoesNotContain(spans, s => s.Source.Name == Telemetry.Name && s.OperationName.StartsWith("storage ", StringComparison.Ordinal) && s.ParentSpanId == default);

        // Predictions: a span each (sampling at 1), rows counted by model, version and variant, and their latency.
        var predicts = spans.Where(s => s.OperationName == "predict").ToList();
        Assert.Equal([1, 2], predicts.Select(s => (int)s.GetTagItem("mllifecycle.rows")!).Order());
        Assert.All(predicts, s => Assert.Equal(("telemetry", "champion"), ((string)s.GetTagItem("mllifecycle.model")!, (string)s.GetTagItem("mllifecycle.variant")!)));
        Assert.Equal(3, Sum(metrics, "mllifecycle.predictions", p => p.GetSumLong(), ("model", "telemetry"), ("variant", "champion"), ("version", 1)));
        Assert.Equal(2, Sum(metrics, "mllifecycle.prediction.duration", p => p.GetHistogramCount(), ("model", "telemetry")));

        // Tuning trials, activities and drift.
        Assert.Equal(2, Sum(metrics, "mllifecycle.tuning.trial.duration", p => p.GetHistogramCount(), ("model", "telemetry"), ("trainer", "LightGbm")));
        // Activities carry no model: tests running beside this one may add to the counts.
        Assert.True(Sum(metrics, "mllifecycle.activity.duration", p => p.GetHistogramCount(), ("activity", ActivityNames.RunTrial), ("outcome", "completed")) >= 2);
        Assert.True(Sum(metrics, "mllifecycle.activity.duration", p => p.GetHistogramCount(), ("activity", ActivityNames.EvaluateFold), ("outcome", "completed")) >= 2);
        Assert.Equal(4, metrics.Where(m => m.Name == "mllifecycle.drift.psi").SelectMany(Points).Count(p => Tags(p).Contains(("model", (object?)"telemetry"))));
        Assert.Contains(metrics, m => m.Name == "mllifecycle.queue.backlog");
    }

    [Theory]
    [InlineData(null, null, "")]
    [InlineData("http://127.0.0.1:9/", null, "otlp")]
    [InlineData(null, "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/", "azuremonitor")]
    [InlineData("http://127.0.0.1:9/", "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/", "azuremonitor otlp")]
    public void Exporters_FollowTheEnvironment_AndNoneMeansNoTelemetry(string? otlp, string? appInsights, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp,
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = appInsights,
        }).Build();
        var services = new ServiceCollection().AddLogging();

        var builder = services.AddMlLifecycleTelemetry(configuration);

        Assert.Equal(expected, string.Join(' ', TelemetrySetup.Exporters(configuration)));
        Assert.Equal(expected != "", builder is not null);
        using var provider = services.BuildServiceProvider();
        Assert.Equal(expected != "", provider.GetService<TracerProvider>() is not null);
        Assert.Equal(expected != "", provider.GetService<MeterProvider>() is not null);
    }

    private static IEnumerable<MetricPoint> Points(Metric metric)
    {
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            yield return point;
        }
    }

    private static HashSet<(string, object?)> Tags(MetricPoint point)
    {
        HashSet<(string, object?)> tags = [];
        foreach (var tag in point.Tags)
        {
            tags.Add((tag.Key, tag.Value));
        }

        return tags;
    }

    /// <summary>The sum of a value over the last export's points of a metric that carry every given tag.</summary>
    private static long Sum(List<Metric> metrics, string name, Func<MetricPoint, long> value, params (string, object?)[] tags) =>
        metrics.LastOrDefault(m => m.Name == name) is { } metric ? Points(metric).Where(p => tags.All(Tags(p).Contains)).Sum(value) : 0;
}
