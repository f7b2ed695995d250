using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// The local Durable engine itself, on Azurite: two workers share one task hub, as `serve` and a CLI command do.
/// Orchestrations here run for real (history, replay, fan-out), with activities that record what happened to them.
/// </summary>
public sealed class DurableEngineTests : IAsyncLifetime
{
    private static readonly DurableEngineOptions Options = new(LockTimeout: TimeSpan.FromSeconds(10), MaxPollingInterval: TimeSpan.FromSeconds(1));
    private readonly ILoggerFactory _loggers = NullLoggerFactory.Instance;
    private readonly ServiceProvider _services = new ServiceCollection().BuildServiceProvider();
    private Azurite _azurite = null!;

    /// <summary>Executions of the sleeping, flaky and broken activities.</summary>
    private static int _sleeps, _flaky, _broken;

    /// <summary>Fan-out activities running at once.</summary>
    private static Gauge _busy = new();

    public async Task InitializeAsync() => _azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    private static WorkflowTasks Tasks => new(
        new Dictionary<string, Func<ITaskOrchestrator>> { [nameof(SleepOrchestration)] = () => new SleepOrchestration(), [nameof(FanOutOrchestration)] = () => new FanOutOrchestration(), [nameof(RetryOrchestration)] = () => new RetryOrchestration() },
        new Dictionary<string, Func<IServiceProvider, ITaskActivity>>
        {
            ["Sleep"] = _ => new DelegateActivity<int, int>(async seconds =>
            {
                Interlocked.Increment(ref _sleeps);
                await Task.Delay(TimeSpan.FromSeconds(seconds));
                return seconds;
            }),
            ["Flaky"] = _ => new DelegateActivity<int, int>(i => Interlocked.Increment(ref _flaky) <= 2 ? throw new IOException("storage hiccup") : Task.FromResult(i)),
            ["Broken"] = _ => new DelegateActivity<int, int>(i =>
            {
                Interlocked.Increment(ref _broken);
                throw new InvalidOperationException("split.validation must be > 0");
            }),
            ["Busy"] = _ => new DelegateActivity<int, int>(async i =>
            {
                using (_busy.Enter())
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(700));
                }

                return i * i;
            }),
        });

    private async Task<(DurableEngine First, DurableEngine Second)> TwoWorkersAsync(DurableEngineOptions? options = null)
    {
        var first = new DurableEngine(_azurite.ConnectionString, _loggers, options ?? Options);
        var second = new DurableEngine(_azurite.ConnectionString, _loggers, options ?? Options);
        await first.CreateIfNotExistsAsync();
        await first.StartWorkerAsync(Tasks, _services);
        await second.StartWorkerAsync(Tasks, _services);
        return (first, second);
    }

    [Fact]
    public async Task ActivityRunningThreeLockTimeouts_CompletesExactlyOnce()
    {
        var (first, second) = await TwoWorkersAsync();
        await using var _ = first;
        await using var __ = second;
        _sleeps = 0;

        var id = await first.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SleepOrchestration), (int)(3 * Options.LockTimeout.TotalSeconds));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await first.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(30, done.ReadOutputAs<int>());
        Assert.Equal(1, _sleeps); // the lock was renewed: no second delivery to either worker
    }

    [Fact]
    public async Task FanOutCappedAtTwo_NeverRunsMoreThanTwo_WhileFourSlotsAreFree()
    {
        var (first, second) = await TwoWorkersAsync();
        await using var _ = first;
        await using var __ = second;
        _busy = new Gauge();

        var id = await second.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutOrchestration), 8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await first.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => i * i), done.ReadOutputAs<int[]>()!); // results in input order, across replays
        Assert.Equal(2, _busy.Most); // 2 workers × 2 activity slots could run 4
    }

    [Fact]
    public async Task WorkerHandsBack_AnotherWorkerRunsTheActivityAtOnce()
    {
        // Locks of a minute: without the hand-back, the activity would wait that long to be delivered again.
        var (first, second) = await TwoWorkersAsync(Options with { LockTimeout = TimeSpan.FromMinutes(1) });
        await using var __ = second;
        _sleeps = 0;
        var id = await first.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SleepOrchestration), 3);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref _sleeps) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        // Whichever worker took it, stopping that worker hands it back: the other one runs it without waiting for the lock.
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        await first.DisposeAsync();
        await second.DisposeAsync();
        var third = new DurableEngine(_azurite.ConnectionString, _loggers, Options);
        await using var ___ = third;
        await third.StartWorkerAsync(Tasks, _services);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await third.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(2, _sleeps);
        Assert.InRange(stopped.Elapsed.TotalSeconds, 0, 30);
    }

    [Fact]
    public async Task TransientFailure_IsRetried_WhileAFailureThatWouldRepeat_FailsAtOnce()
    {
        var (first, second) = await TwoWorkersAsync();
        await using var _ = first;
        await using var __ = second;
        (_flaky, _broken) = (0, 0);

        var id = await first.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RetryOrchestration), 7);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await first.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("7; Broken failed: split.validation must be > 0", done.ReadOutputAs<string>());
        Assert.Equal(3, _flaky); // two IOExceptions, then success
        Assert.Equal(1, _broken);
    }

    private sealed class SleepOrchestration : TaskOrchestrator<int, int>
    {
        public override Task<int> RunAsync(TaskOrchestrationContext context, int seconds) => context.CallActivityAsync<int>("Sleep", seconds);
    }

    private sealed class RetryOrchestration : TaskOrchestrator<int, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, int input)
        {
            var value = await context.CallActivityAsync<int>("Flaky", input, ActivityRetry.Options);
            try
            {
                await context.CallActivityAsync<int>("Broken", input, ActivityRetry.Options);
                return "unexpected";
            }
            catch (TaskFailedException ex)
            {
                return $"{value}; {ex.TaskName} failed: {ex.FailureDetails.ErrorMessage}";
            }
        }
    }

    private sealed class FanOutOrchestration : TaskOrchestrator<int, int[]>
    {
        public override async Task<int[]> RunAsync(TaskOrchestrationContext context, int count) =>
            [.. await TrainingOrchestration.FanOutAsync<int, int>(context, "Busy", Enumerable.Range(0, count).ToList(), maxConcurrency: 2)];
    }
}
