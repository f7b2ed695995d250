using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Workflows;

namespace MlLifecycle.Bench;

/// <summary>
/// An N-way fan-out of no-op activities on the local Durable engine (the real DTFx worker over Azure Storage on an
/// in-memory Azurite, the product's engine settings) against the same activity bodies awaited with
/// <c>Task.WhenAll</c> in this process: what the engine costs per activity, and how soon the first one starts.
/// </summary>
public static class OrchestrationBench
{
    public sealed record FanOut(int Activities, double Seconds, double FirstActivitySeconds, double InProcessSeconds)
    {
        public double PerSecond => Activities / Seconds;
    }

    private static long _firstStart;

    public static async Task<IReadOnlyList<FanOut>> RunAsync(IReadOnlyList<int> sizes, int repeats, TextWriter log)
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        await using var services = new ServiceCollection().BuildServiceProvider();
        await using var engine = new DurableEngine(azurite.ConnectionString, NullLoggerFactory.Instance);
        await engine.CreateIfNotExistsAsync();
        await engine.StartWorkerAsync(
            new WorkflowTasks(
                new Dictionary<string, Func<ITaskOrchestrator>> { [nameof(NoOpFanOut)] = () => new NoOpFanOut() },
                new Dictionary<string, Func<IServiceProvider, ITaskActivity>> { ["NoOp"] = _ => new DelegateActivity<int, int>(NoOp) }),
            services);
        List<FanOut> results = [];
        await RunOnceAsync(engine, 8); // warm-up: queues created, code jitted
        foreach (var size in sizes)
        {
            List<FanOut> runs = [];
            for (var r = 0; r < repeats; r++)
            {
                var durable = await RunOnceAsync(engine, size);
                var inProcess = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, size).Select(NoOp));
                runs.Add(durable with { InProcessSeconds = inProcess.Elapsed.TotalSeconds });
            }

            var median = runs.OrderBy(r => r.Seconds).ElementAt(runs.Count / 2);
            log.WriteLine($"{size}-way no-op fan-out: {median.Seconds:F2} s ({median.PerSecond:F0} activities/s), first activity after {median.FirstActivitySeconds * 1000:F0} ms; in process {median.InProcessSeconds * 1e6:F0} µs (median of {repeats})");
            results.Add(median);
        }

        return results;
    }

    private static Task<int> NoOp(int i)
    {
        Interlocked.CompareExchange(ref _firstStart, Stopwatch.GetTimestamp(), 0);
        return Task.FromResult(i);
    }

    private static async Task<FanOut> RunOnceAsync(DurableEngine engine, int size)
    {
        Interlocked.Exchange(ref _firstStart, 0);
        var started = Stopwatch.GetTimestamp();
        var id = await engine.Client.ScheduleNewOrchestrationInstanceAsync(nameof(NoOpFanOut), size);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var done = await engine.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed || done.ReadOutputAs<int>() != size * (size - 1) / 2)
        {
            throw new InvalidOperationException($"the fan-out ended {done.RuntimeStatus} with {done.SerializedOutput}");
        }

        return new FanOut(size, seconds, Stopwatch.GetElapsedTime(started, Interlocked.Read(ref _firstStart)).TotalSeconds, 0);
    }

    /// <summary>All N activities scheduled at once, then their sum.</summary>
    private sealed class NoOpFanOut : TaskOrchestrator<int, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, int count) =>
            (await Task.WhenAll(Enumerable.Range(0, count).Select(i => context.CallActivityAsync<int>("NoOp", i)))).Sum();
    }
}
