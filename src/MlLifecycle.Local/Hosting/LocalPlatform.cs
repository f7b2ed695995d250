using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using MlLifecycle.Api;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Local.Hosting;

/// <summary>What the local platform runs.</summary>
/// <param name="Azurite">Azurite to ensure (ignored when <paramref name="StorageConnectionString"/> is set).</param>
/// <param name="HttpPort">Port of the HTTP API; 0 = a free port; null = no HTTP server.</param>
/// <param name="WatchBlobs">Run the blob trigger (a watcher on <c>datasets/</c>).</param>
/// <param name="RunTimers">Run the drift timer.</param>
/// <param name="StorageConnectionString">Use this storage instead of starting Azurite.</param>
/// <param name="LockTimeout">Durable work-item visibility timeout (default 15 min; crash tests shorten it).</param>
public sealed record LocalPlatformOptions(
    AzuriteOptions Azurite,
    int? HttpPort = null,
    bool WatchBlobs = true,
    bool RunTimers = false,
    string? StorageConnectionString = null,
    TimeSpan? LockTimeout = null)
{
    public Dictionary<string, string?> Settings { get; init; } = [];
}

/// <summary>
/// The local host: Azurite, the Durable sidecar on Azure Storage, a worker running the same orchestrations and
/// activities as the Functions app, and optionally the same HTTP routes, blob trigger and drift timer.
/// </summary>
public sealed class LocalPlatform : IAsyncDisposable
{
    private readonly Azurite? _azurite;
    private readonly DurableSidecar _sidecar;
    private readonly WebApplication _app;

    private LocalPlatform(Azurite? azurite, DurableSidecar sidecar, WebApplication app, string storage)
    {
        (_azurite, _sidecar, _app, StorageConnectionString) = (azurite, sidecar, app, storage);
    }

    public string StorageConnectionString { get; }

    public IServiceProvider Services => _app.Services;

    public DurableTaskClient Client => Services.GetRequiredService<DurableTaskClient>();

    /// <summary>Base address of the HTTP API (e.g. <c>http://127.0.0.1:7071</c>), or null when not serving HTTP.</summary>
    public Uri? BaseAddress { get; private set; }

    public static async Task<LocalPlatform> StartAsync(LocalPlatformOptions options, ILoggerFactory loggerFactory, CancellationToken ct = default)
    {
        var logger = loggerFactory.CreateLogger<LocalPlatform>();
        Azurite? azurite = null;
        DurableSidecar? sidecar = null;
        try
        {
            if (options.StorageConnectionString is null)
            {
                azurite = await Azurite.StartAsync(options.Azurite, logger, ct);
            }

            var storage = options.StorageConnectionString ?? azurite!.ConnectionString;
            sidecar = await DurableSidecar.StartAsync(storage, loggerFactory, options.LockTimeout, ct);
            var app = BuildApp(options, storage, sidecar, loggerFactory);
            await app.Services.EnsureMlLifecycleStorageAsync(ct);
            await app.StartAsync(ct);
            var platform = new LocalPlatform(azurite, sidecar, app, storage);
            if (options.HttpPort is not null)
            {
                platform.BaseAddress = new Uri(app.Urls.First());
            }

            return platform;
        }
        catch
        {
            if (sidecar is not null)
            {
                await sidecar.DisposeAsync();
            }

            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _sidecar.DisposeAsync();
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    private static WebApplication BuildApp(LocalPlatformOptions options, string storage, DurableSidecar sidecar, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Configuration.AddInMemoryCollection(options.Settings);
        if (options.HttpPort is { } port)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        else
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }

        builder.Services.AddProblemDetails();
        builder.Services.AddMlLifecycleStorage(storage).AddMlLifecycleWorkflows().AddMlLifecycleApi();
        builder.Services.AddDurableTaskWorker(b =>
        {
            b.UseGrpc(sidecar.Channel);
            b.AddTasks(r => r.AddMlLifecycleTasks());
            b.Configure(o => o.Concurrency.MaximumConcurrentActivityWorkItems = Environment.ProcessorCount);
        });
        builder.Services.AddDurableTaskClient(b =>
        {
            b.UseGrpc(sidecar.Channel);
            b.RegisterDirectly();
        });
        if (options.WatchBlobs)
        {
            builder.Services.AddHostedService<BlobWatcher>();
        }

        if (options.RunTimers)
        {
            builder.Services.AddHostedService<DriftTimer>();
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
}
