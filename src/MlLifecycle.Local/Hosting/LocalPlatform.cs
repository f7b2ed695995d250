using Microsoft.DurableTask.Client;
using MlLifecycle.Api;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using NCrontab;

namespace MlLifecycle.Local.Hosting;

/// <summary>What the local platform runs.</summary>
/// <param name="Azurite">Azurite to ensure (ignored when <paramref name="StorageConnectionString"/> is set).</param>
/// <param name="HttpPort">Port of the HTTP API; 0 = a free port; null = no HTTP server.</param>
/// <param name="WatchBlobs">Run the blob trigger (a watcher on <c>datasets/</c>).</param>
/// <param name="RunTimers">Run the drift timer.</param>
/// <param name="StorageConnectionString">Use this storage instead of starting Azurite.</param>
/// <param name="HostWorker">Run a Durable worker in this process; false = only a client of the task hub (another host does the work); null = a worker only when no host announced in the <c>hosts</c> table is live.</param>
/// <param name="Announce">Announce this process in the <c>hosts</c> table as a host that CLI verbs can be clients of (<c>serve</c>).</param>
public sealed record LocalPlatformOptions(
    AzuriteOptions Azurite,
    int? HttpPort = null,
    bool WatchBlobs = true,
    bool RunTimers = false,
    string? StorageConnectionString = null,
    bool? HostWorker = true,
    bool Announce = false)
{
    public Dictionary<string, string?> Settings { get; init; } = [];

    /// <summary>The Durable engine's settings (lock timeout).</summary>
    public DurableEngineOptions Engine { get; init; } = DurableEngineOptions.Default;

    /// <summary>Longest pause of the blob trigger's polling while no new upload arrives (default 16 s).</summary>
    public TimeSpan BlobWatchMaxInterval { get; init; } = TimeSpan.FromSeconds(16);

    /// <summary>The keys the HTTP API asks for (see <see cref="ApiKeys"/>); null = new random ones (<see cref="LocalPlatform.Keys"/>).</summary>
    public ApiKeys? Keys { get; init; }

    /// <summary>What the worker runs (default: the lifecycle's orchestrations and activities).</summary>
    public WorkflowTasks Tasks { get; init; } = WorkflowRegistration.Tasks;
}

/// <summary>
/// The local host: Azurite, the Durable Task engine on Azure Storage running the same orchestrations and activities as
/// the Functions app, and optionally the same HTTP routes, blob trigger and drift timer.
/// </summary>
public sealed class LocalPlatform : IAsyncDisposable
{
    private readonly Azurite? _azurite;
    private readonly DurableEngine _engine;
    private readonly WebApplication _app;
    private readonly WorkflowTasks _tasks;
    private readonly ILogger _logger;

    private LocalPlatform(Azurite? azurite, DurableEngine engine, WebApplication app, string storage, WorkflowTasks tasks, ILogger logger)
    {
        (_azurite, _engine, _app, StorageConnectionString, _tasks, _logger) = (azurite, engine, app, storage, tasks, logger);
    }

    /// <summary>Whether this process runs a Durable worker (false: a client of another host).</summary>
    public bool HostsWorker => _engine.HasWorker;

    public string StorageConnectionString { get; }

    public IServiceProvider Services => _app.Services;

    public DurableTaskClient Client => _engine.Client;

    /// <summary>The keys the HTTP API asks for.</summary>
    public ApiKeys Keys => _app.Services.GetRequiredService<ApiKeys>();

    /// <summary>Base address of the HTTP API (e.g. <c>http://127.0.0.1:7071</c>), or null when not serving HTTP.</summary>
    public Uri? BaseAddress { get; private set; }

    /// <summary>The local host's OpenTelemetry <c>service.name</c> (unless <c>OTEL_SERVICE_NAME</c> sets another).</summary>
    public const string ServiceName = "mllifecycle-local";

    public static async Task<LocalPlatform> StartAsync(LocalPlatformOptions options, ILoggerFactory loggerFactory, CancellationToken ct = default)
    {
        var logger = loggerFactory.CreateLogger<LocalPlatform>();
        Azurite? azurite = null;
        DurableEngine? engine = null;
        try
        {
            if (options.StorageConnectionString is null)
            {
                azurite = await Azurite.StartAsync(options.Azurite, logger, ct);
            }

            var storage = options.StorageConnectionString ?? azurite!.ConnectionString;
            engine = new DurableEngine(storage, loggerFactory, options.Engine);
            var app = BuildApp(options, storage, engine, loggerFactory);
            // A client of a live host finds the task hub and the containers that host created when it started.
            var hostWorker = options.HostWorker ?? !await app.Services.GetRequiredService<HostRegistry>().AnyLiveAsync(ct);
            if (hostWorker || options.HostWorker is not null)
            {
                await Task.WhenAll(engine.CreateIfNotExistsAsync(), app.Services.EnsureMlLifecycleStorageAsync(ct));
            }

            if (hostWorker)
            {
                await engine.StartWorkerAsync(options.Tasks, app.Services);
            }

            await app.StartAsync(ct);
            var platform = new LocalPlatform(azurite, engine, app, storage, options.Tasks, logger);
            if (options.HttpPort is not null)
            {
                platform.BaseAddress = new Uri(app.Urls.First());
            }

            return platform;
        }
        catch
        {
            if (engine is not null)
            {
                await engine.DisposeAsync();
            }

            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Starts a worker in this process if it has none (a client whose host went away).</summary>
    public Task EnsureWorkerAsync() => _engine.HasWorker ? Task.CompletedTask : _engine.StartWorkerAsync(_tasks, _app.Services);

    /// <summary>Hands the work in progress back to the task hub first, then stops the routes and timers, then Azurite if this process started it.</summary>
    public async ValueTask DisposeAsync()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await _engine.DisposeAsync();
        _logger.LogInformation("Stopping: the Durable worker left the task hub after {Ms:F0} ms", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await _app.StopAsync();
        await _app.DisposeAsync();
        _logger.LogInformation("Stopping: the routes and timers stopped after {Ms:F0} ms", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
            _logger.LogInformation("Stopping: Azurite stopped after {Ms:F0} ms", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private static WebApplication BuildApp(LocalPlatformOptions options, string storage, DurableEngine engine, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        // Signals are the CLI's to handle (Program.cs): the host neither listens for them nor waits long to stop.
        builder.Services.AddSingleton<IHostLifetime, NoSignals>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.Configuration.AddInMemoryCollection(options.Settings);
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.HttpPort ?? 0}");
        builder.Services.AddProblemDetails();
        builder.Services.AddMlLifecycleStorage(storage).AddMlLifecycleWorkflows().AddMlLifecycleApi();
        builder.Services.AddMlLifecycleTelemetry(builder.Configuration, serviceName: ServiceName);
        builder.Services.AddSingleton(engine.Client);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.Keys ?? ApiKeys.Generate());
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration("RateLimit").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RequestRate>();
        builder.Services.AddSingleton<HostRegistry>();
        if (options.Announce)
        {
            builder.Services.AddHostedService<HostAnnouncer>();
        }

        if (options.WatchBlobs)
        {
            builder.Services.AddHostedService<BlobWatcher>();
        }

        if (options.RunTimers)
        {
            builder.Services.AddHostedService<DriftTimer>();
            builder.Services.AddOptions<LifecycleOptions>()
                .Validate(o => CrontabSchedule.TryParse(o.DriftSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null, "MlLifecycle:DriftSchedule must be a 6-field NCRONTAB expression (seconds first), such as \"0 0 * * * *\".");
        }

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (options.HttpPort is not null)
        {
            app.MapMlLifecycleRoutes();
        }

        return app;
    }

    private sealed class NoSignals : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
