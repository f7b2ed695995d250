using Azure;
using Azure.Data.Tables;

namespace MlLifecycle.Local.Hosting;

/// <summary>
/// The hosts serving a storage account (<c>serve</c>): a row per host in the <c>hosts</c> table whose expiry the host
/// pushes forward while it runs and removes when it stops. CLI verbs that find a live host are its clients: they start
/// runs and read state, and run no worker of their own.
/// </summary>
public sealed class HostRegistry(TableServiceClient tables)
{
    public const string Table = "hosts";

    /// <summary>How long a row counts as live after its last beat (a killed host's row lapses after this).</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(45);

    /// <summary>How often a live host beats.</summary>
    public static readonly TimeSpan Beat = TimeSpan.FromSeconds(15);

    private TableClient Hosts => tables.GetTableClient(Table);

    /// <summary>Whether a host with an unexpired row serves this storage account.</summary>
    public async Task<bool> AnyLiveAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        try
        {
            await foreach (var _ in Hosts.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"host"} and ExpiresAt gt {now}"), maxPerPage: 1, select: ["RowKey"], cancellationToken: ct))
            {
                return true;
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No host has ever announced itself here.
        }

        return false;
    }

    public async Task AnnounceAsync(string hostId, string? address, DateTimeOffset now, CancellationToken ct = default)
    {
        await Hosts.CreateIfNotExistsAsync(ct);
        await Hosts.UpsertEntityAsync(
            new TableEntity("host", hostId) { ["ExpiresAt"] = now + Lease, ["Address"] = address, ["ProcessId"] = Environment.ProcessId, ["Machine"] = Environment.MachineName },
            TableUpdateMode.Replace,
            ct);
    }

    public Task LeaveAsync(string hostId, CancellationToken ct = default) => Hosts.DeleteEntityAsync("host", hostId, cancellationToken: ct);
}

/// <summary>Keeps this host's row in <see cref="HostRegistry"/> live while it runs, and removes it when it stops.</summary>
internal sealed class HostAnnouncer(HostRegistry registry, TimeProvider time, Microsoft.AspNetCore.Hosting.Server.IServer server, ILogger<HostAnnouncer> logger) : BackgroundService
{
    private readonly string _id = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var address = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault();
                await registry.AnnounceAsync(_id, address, time.GetUtcNow(), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not renew this host's row in the hosts table; retrying in {Interval}", HostRegistry.Beat);
            }

            await Task.Delay(HostRegistry.Beat, time, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await registry.LeaveAsync(_id, cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or OperationCanceledException)
        {
            logger.LogWarning("This host's row stays in the hosts table until it lapses: {Message}", ex.Message);
        }
    }
}
