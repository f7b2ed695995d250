using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core;
using MlLifecycle.Core.Spec;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// Azurite (free ports, in memory) and the lifecycle's real orchestrations and activities on a Durable worker that a
/// test can replace mid-run, every task watched by an <see cref="ActivityProbe"/>. The local platform beside it hosts
/// no worker: it holds the storage services the activities use.
/// </summary>
public sealed class OrchestrationFixture : IAsyncLifetime
{
    private static readonly DurableEngineOptions Engine = new(LockTimeout: TimeSpan.FromSeconds(10), MaxPollingInterval: TimeSpan.FromSeconds(1));
    private readonly ILoggerFactory _loggers = PlatformFixture.CreateLoggers();
    private DurableEngine _worker = null!;

    public ActivityProbe Probe { get; } = new();

    public LocalPlatform Platform { get; private set; } = null!;

    /// <summary>The client of the current worker's engine (its own messages wake its pollers at once).</summary>
    public DurableTaskClient Client => _worker.Client;

    public ArtifactStore Store => Platform.Services.GetRequiredService<ArtifactStore>();

    public ModelRegistry Registry => Platform.Services.GetRequiredService<ModelRegistry>();

    public async Task InitializeAsync()
    {
        // Batch jobs of a few hundred rows still fan out (100-row chunks), one chunk at a time.
        Platform = await LocalPlatform.StartAsync(
            new LocalPlatformOptions(AzuriteOptions.Ephemeral, WatchBlobs: false, HostWorker: false)
            {
                Engine = Engine,
                Settings = { ["MlLifecycle:BatchChunkRows"] = "100", ["MlLifecycle:BatchMaxConcurrency"] = "1" },
            },
            _loggers);
        _worker = await StartWorkerAsync();
    }

    /// <summary>Stops the worker as a leaving host does (running activities handed back) and starts a new engine and worker.</summary>
    public async Task RestartWorkerAsync()
    {
        await _worker.DisposeAsync();
        _worker = await StartWorkerAsync();
    }

    /// <summary>Uploads <paramref name="csv"/> as <c>{model}/data.csv</c> and starts a training run of it under <paramref name="runId"/>.</summary>
    public async Task StartRunAsync(string runId, string model, byte[] csv, string spec)
    {
        var dataset = $"{model}/data.csv";
        await Store.WriteAsync(ArtifactStore.Datasets, dataset, BinaryData.FromBytes(csv));
        await Client.ScheduleNewOrchestrationInstanceAsync(ActivityNames.TrainingOrchestration, new TrainingRequest(model, dataset, LifecycleJson.Deserialize<ProblemSpec>(spec)), new StartOrchestrationOptions(runId));
    }

    /// <summary>Waits until the run's orchestration has completed (not failed) and returns its result.</summary>
    public async Task<RunResult> WaitForRunAsync(string runId, TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromMinutes(2));
        var done = await Client.WaitForInstanceCompletionAsync(runId, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<RunResult>()!;
    }

    /// <summary>A second host on this storage serving the HTTP API on a free port, with no worker (this fixture's runs what it starts).</summary>
    public Task<LocalPlatform> StartHttpHostAsync(params (string Key, string Value)[] settings)
    {
        var options = new LocalPlatformOptions(AzuriteOptions.Ephemeral, HttpPort: 0, WatchBlobs: false, StorageConnectionString: Platform.StorageConnectionString, HostWorker: false);
        foreach (var (key, value) in settings)
        {
            options.Settings[key] = value;
        }

        return LocalPlatform.StartAsync(options, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
    }

    public async Task<RunResult> RunAsync(string runId, string model, byte[] csv, string spec, TimeSpan? within = null)
    {
        await StartRunAsync(runId, model, csv, spec);
        return await WaitForRunAsync(runId, within);
    }

    /// <summary>The activities an orchestration instance scheduled, in order, from its Durable history.</summary>
    public Task<IReadOnlyList<string>> ScheduledAsync(string instanceId) => DurableHistory.ScheduledAsync(Platform.StorageConnectionString, instanceId);

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        await Platform.DisposeAsync();
        _loggers.Dispose();
    }

    private async Task<DurableEngine> StartWorkerAsync()
    {
        var engine = new DurableEngine(Platform.StorageConnectionString, _loggers, Engine);
        await engine.StartWorkerAsync(Probe.Wrap(WorkflowRegistration.Tasks), Platform.Services);
        return engine;
    }
}
