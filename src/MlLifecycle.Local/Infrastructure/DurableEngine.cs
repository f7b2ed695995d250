using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using MlLifecycle.Workflows;

namespace MlLifecycle.Local.Infrastructure;

/// <summary>Settings of the local Durable engine (the same knobs as <c>host.json</c>'s <c>durableTask</c> section).</summary>
/// <param name="LockTimeout">Work-item visibility timeout; the engine renews it while an activity runs, and a killed host's work is redelivered after it.</param>
/// <param name="MaxPollingInterval">Longest wait between polls of an idle queue.</param>
public sealed record DurableEngineOptions(TimeSpan LockTimeout, TimeSpan MaxPollingInterval)
{
    /// <summary>Deliveries of one activity whose worker may die (crash, kill, out of memory) before its run is failed (default 3).</summary>
    public int MaxActivityAttempts { get; init; } = 3;

    /// <summary>
    /// How long a host's control-queue partition lease lasts unrenewed (default 20 s; renewed and sought every half of
    /// it): a killed host's orchestrations move to another host about this long after it died.
    /// </summary>
    public TimeSpan LeaseInterval { get; init; } = TimeSpan.FromSeconds(20);

    public const string TaskHub = "mllifecycle";

    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

    public static DurableEngineOptions Default { get; } = new(DefaultLockTimeout, TimeSpan.FromSeconds(1));
}

/// <summary>
/// The Durable Task Framework, locally: a <see cref="TaskHubWorker"/> over <see cref="AzureStorageOrchestrationService"/>
/// (the backend Durable Functions uses in Azure) running the same <c>Microsoft.DurableTask</c> orchestrators and
/// activities as the Functions app, through <see cref="DurableTaskShimFactory"/>. DTFx renews work-item locks while an
/// activity runs and runs sub-orchestrations and <c>ContinueAsNew</c>. A process may host the worker or only use the
/// client; every process on a storage account shares one task hub.
/// </summary>
public sealed class DurableEngine : IAsyncDisposable
{
    private readonly HandBackOrchestrationService _service;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private TaskHubWorker? _worker;

    public DurableEngine(string storageConnectionString, ILoggerFactory loggerFactory, DurableEngineOptions? options = null)
    {
        options ??= DurableEngineOptions.Default;
        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(storageConnectionString),
            TaskHubName = DurableEngineOptions.TaskHub,
            LoggerFactory = loggerFactory,
            // Partitions are owned by worker id: every process needs its own, or two would both think they own one.
            WorkerId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}",
            // One control queue: orchestrations are cheap; activities, the heavy part, are shared through the work-item
            // queue by every host. Fewer queues also mean fewer polls while idle.
            PartitionCount = 1,
            // Shared task hub: serve, a CLI train and tests are workers of it side by side.
            UseAppLease = false,
            // An idle host backs off to this. Messages sent by this process wake its own pollers at once, so only work
            // started by another process (a CLI train as the client of a serve) waits up to this long.
            MaxQueuePollingInterval = options.MaxPollingInterval,
            // A killed host's partition moves within about LeaseInterval + LeaseAcquireInterval; renewing every 10 s by
            // default keeps an idle host's storage traffic low (Azurite rewrites its table database after every write).
            LeaseInterval = options.LeaseInterval,
            LeaseRenewInterval = options.LeaseInterval / 2,
            LeaseAcquireInterval = options.LeaseInterval / 2,
            WorkItemQueueVisibilityTimeout = options.LockTimeout,
            ControlQueueVisibilityTimeout = options.LockTimeout,
            MaxConcurrentTaskActivityWorkItems = Environment.ProcessorCount,
            // A second start under an existing instance id is an error the caller sees, not a silent no-op.
            ThrowExceptionOnInvalidDedupeStatus = true,
            MaxConcurrentTaskOrchestrationWorkItems = 8,
        });
        var attempts = new ActivityAttempts(new Azure.Data.Tables.TableClient(storageConnectionString, ActivityAttempts.TableName), options.MaxActivityAttempts, TimeProvider.System);
        _service = new HandBackOrchestrationService(service, attempts);
        _loggers = loggerFactory;
        _logger = loggerFactory.CreateLogger<DurableEngine>();
        Client = new OrchestrationServiceClient(service, new DurableTaskWorkerOptions().DataConverter);
    }

    /// <summary>The client of the task hub (start runs, read their state).</summary>
    public DurableTaskClient Client { get; }

    public bool HasWorker => _worker is not null;

    /// <summary>Creates the task hub's queues, tables and containers if they do not exist.</summary>
    public Task CreateIfNotExistsAsync() => _service.CreateIfNotExistsAsync();

    /// <summary>Starts a worker running <paramref name="tasks"/>, resolving activities' services from <paramref name="services"/>.</summary>
    public async Task StartWorkerAsync(WorkflowTasks tasks, IServiceProvider services)
    {
        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), _loggers);
        var worker = new TaskHubWorker(_service, _loggers) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        worker.AddTaskOrchestrations([.. tasks.Orchestrators.Select(t => new Creator<TaskOrchestration>(t.Key, () => shims.CreateOrchestration(t.Key, t.Value())))]);
        worker.AddTaskActivities([.. tasks.Activities.Select(t => new Creator<TaskActivity>(t.Key, () => shims.CreateActivity(t.Key, Failpoint.Wrap(t.Key, t.Value(services)))))]);
        await worker.StartAsync();
        _worker = worker;
    }

    /// <summary>
    /// Leaves the task hub: stops taking work, hands back the activities in progress (another host runs them at once)
    /// and releases this process's partitions. Activities still computing are abandoned, not awaited.
    /// </summary>
    public async Task StopWorkerAsync()
    {
        if (Interlocked.Exchange(ref _worker, null) is not { } worker)
        {
            return;
        }

        var handed = await _service.HandBackAsync();
        if (handed > 0)
        {
            _logger.LogInformation("Handed back {Count} running activities to the task hub", handed);
        }

        // Releasing the partition lease normally takes about a second (the framework drains the control queue first);
        // a stop never waits past StopTimeout for it: an unreleased lease expires after LeaseInterval, as a killed
        // host's does, and the activities were handed back above.
        var stopped = worker.StopAsync(isForced: true);
        if (await Task.WhenAny(stopped, Task.Delay(StopTimeout)) != stopped)
        {
            _logger.LogWarning("The Durable worker did not stop within {Timeout} s; leaving without it (its partition lease expires on its own)", StopTimeout.TotalSeconds);
        }
    }

    /// <summary>Longest wait for the Durable worker to stop (it releases its partition lease), so a host's stop stays within the CLI's 10 s.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(3);

    public async ValueTask DisposeAsync() => await StopWorkerAsync();

    private sealed class Creator<T> : ObjectCreator<T>
    {
        private readonly Func<T> _create;

        public Creator(string name, Func<T> create)
        {
            (Name, Version, _create) = (name, string.Empty, create);
        }

        public override T Create() => _create();
    }
}
