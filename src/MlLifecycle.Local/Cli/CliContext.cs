using Microsoft.Extensions.Logging.Console;
using MlLifecycle.Api;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Local.Cli;

/// <summary>What a CLI verb runs against: Azurite on its default ports with data in <c>.data/azurite</c>.</summary>
internal static class CliContext
{
    public static ILoggerFactory CreateLoggerFactory(bool verbose) => LoggerFactory.Create(b => b
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
        .AddFilter(level => level >= (verbose ? LogLevel.Information : LogLevel.Warning))
        .AddFilter("DurableTask", verbose ? LogLevel.Warning : LogLevel.Error)
        .AddFilter("Microsoft.DurableTask", verbose ? LogLevel.Warning : LogLevel.Error)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        // Kestrel's "Now listening on" and the host's start/stop lines: serve prints where it listens itself, once.
        .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning)
        // A host that fails to start is reported once, as the CLI's one-line error.
        .AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical)
        .AddFilter("Azure", LogLevel.Warning)
        .AddMlLifecycleLogExport(new ConfigurationBuilder().AddEnvironmentVariables().Build(), LocalPlatform.ServiceName)
        .Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));

    /// <summary>
    /// Options of the full local platform for the CLI: storage from <c>MLLIFECYCLE_STORAGE</c> when set, the Durable
    /// lock timeout from <c>MLLIFECYCLE_LOCK_TIMEOUT_SECONDS</c> and partition lease from <c>MLLIFECYCLE_LEASE_SECONDS</c> when set.
    /// </summary>
    /// <param name="httpPort">HTTP port; null = no HTTP API.</param>
    /// <param name="watchBlobs">Run the blob trigger.</param>
    /// <param name="hostWorker">Run a worker; null = only when no <c>serve</c> is live on the storage (then this is its client).</param>
    /// <param name="serve">This is <c>serve</c>: the drift timer runs and the host announces itself to the CLI's other verbs.</param>
    public static LocalPlatformOptions Platform(int? httpPort, bool watchBlobs, bool? hostWorker, bool serve = false) =>
        new(
            AzuriteOptions.FromEnvironment(),
            httpPort,
            watchBlobs,
            serve,
            Environment.GetEnvironmentVariable("MLLIFECYCLE_STORAGE"),
            hostWorker,
            serve)
        {
            Engine = DurableEngineOptions.Default with
            {
                LockTimeout = Seconds("MLLIFECYCLE_LOCK_TIMEOUT_SECONDS") ?? DurableEngineOptions.DefaultLockTimeout,
                LeaseInterval = Seconds("MLLIFECYCLE_LEASE_SECONDS") ?? DurableEngineOptions.Default.LeaseInterval,
            },
        };

    private static TimeSpan? Seconds(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary>Storage-only services (registry, artifacts, model server) for verbs that need no Durable engine.</summary>
    public static async Task<(ServiceProvider Services, IAsyncDisposable? Azurite, string Connection)> StartStorageAsync(ILoggerFactory loggerFactory, CancellationToken ct)
    {
        var connection = Environment.GetEnvironmentVariable("MLLIFECYCLE_STORAGE");
        Azurite? azurite = null;
        if (connection is null)
        {
            azurite = await Azurite.StartAsync(AzuriteOptions.FromEnvironment(), loggerFactory.CreateLogger("Azurite"), ct);
            connection = azurite.ConnectionString;
        }

        var services = new ServiceCollection()
            .AddSingleton(loggerFactory)
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddMlLifecycleStorage(connection)
            .AddMlLifecycleWorkflows()
            .AddMlLifecycleApi()
            .BuildServiceProvider();
        await services.EnsureMlLifecycleStorageAsync(ct);
        return (services, azurite, connection);
    }
}
