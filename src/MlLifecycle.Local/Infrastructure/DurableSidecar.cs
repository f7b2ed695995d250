using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace MlLifecycle.Local.Infrastructure;

/// <summary>
/// The real Durable Task engine, locally: <see cref="AzureStorageOrchestrationService"/> (the backend Durable
/// Functions uses in Azure) behind the in-process gRPC sidecar <see cref="TaskHubGrpcServer"/>. This class is the only
/// place that touches the preview InProcessTestHost package.
/// </summary>
public sealed class DurableSidecar : IAsyncDisposable
{
    public const string TaskHub = "mllifecycle";

    private readonly WebApplication _app;

    private DurableSidecar(WebApplication app, string address)
    {
        _app = app;
        Address = address;
        Channel = GrpcChannel.ForAddress(address);
    }

    public string Address { get; }

    /// <summary>Channel for the Durable worker and client of this process.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>How long a dequeued work item stays invisible: above the longest activity, since the sidecar never renews it.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromMinutes(15);

    /// <param name="storageConnectionString">Azure Storage (Azurite) connection string.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="lockTimeout">Work-item visibility timeout; also how long a crashed host's in-flight work waits to be redelivered.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<DurableSidecar> StartAsync(string storageConnectionString, ILoggerFactory loggerFactory, TimeSpan? lockTimeout = null, CancellationToken ct = default)
    {
        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(storageConnectionString),
            TaskHubName = TaskHub,
            LoggerFactory = loggerFactory,
            PartitionCount = 2,
            // Several local processes (serve, a CLI train, tests) share one task hub.
            UseAppLease = false,
            MaxQueuePollingInterval = TimeSpan.FromSeconds(1),
            // A killed host frees its partitions quickly, so a restart resumes runs within seconds.
            LeaseInterval = TimeSpan.FromSeconds(10),
            LeaseRenewInterval = TimeSpan.FromSeconds(3),
            LeaseAcquireInterval = TimeSpan.FromSeconds(3),
            WorkItemQueueVisibilityTimeout = lockTimeout ?? DefaultLockTimeout,
            ControlQueueVisibilityTimeout = lockTimeout is { } timeout && timeout < TimeSpan.FromMinutes(5) ? timeout : TimeSpan.FromMinutes(5),
            MaxConcurrentTaskActivityWorkItems = Environment.ProcessorCount,
            MaxConcurrentTaskOrchestrationWorkItems = 8,
        });
        await service.CreateIfNotExistsAsync();

        var port = Azurite.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(service);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        var app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();
        await app.StartAsync(ct);
        return new DurableSidecar(app, $"http://127.0.0.1:{port}");
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
