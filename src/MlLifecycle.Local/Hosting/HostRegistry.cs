using Azure;
using Azure.Data.Tables;

namespace MlLifecycle.Local.Hosting;

/// <summary>
/// The hosts serving a storage account (<c>serve</c>): each writes a row with its HTTP address to the <c>hosts</c>
/// table when it starts and removes it when it stops. A host is live when its address answers <c>/api/health</c>, so a
/// killed host's row is simply not live, and no host writes anything while idle. CLI verbs that find a live host are
/// its clients: they start runs and read state, and run no worker of their own.
/// </summary>
public sealed class HostRegistry(TableServiceClient tables)
{
    public const string Table = "hosts";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(1) };

    private TableClient Hosts => tables.GetTableClient(Table);

    /// <summary>Whether a host registered here answers its health route.</summary>
    public async Task<bool> AnyLiveAsync(CancellationToken ct = default)
    {
        try
        {
            await foreach (var host in Hosts.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"host"}"), select: ["Address"], cancellationToken: ct))
            {
                if (host.GetString("Address") is { } address && await AnswersAsync(address, ct))
                {
                    return true;
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No host has ever registered here.
        }

        return false;
    }

    public async Task RegisterAsync(string hostId, string address, CancellationToken ct = default)
    {
        await Hosts.CreateIfNotExistsAsync(ct);
        await Hosts.UpsertEntityAsync(new TableEntity("host", hostId) { ["Address"] = address, ["ProcessId"] = Environment.ProcessId, ["Machine"] = Environment.MachineName }, TableUpdateMode.Replace, ct);
    }

    public Task LeaveAsync(string hostId, CancellationToken ct = default) => Hosts.DeleteEntityAsync("host", hostId, cancellationToken: ct);

    private static async Task<bool> AnswersAsync(string address, CancellationToken ct)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(new Uri(address), "api/health"), ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            return false;
        }
    }
}

/// <summary>Registers this host in <see cref="HostRegistry"/> once its HTTP API listens, and removes it when it stops.</summary>
internal sealed class HostAnnouncer(HostRegistry registry, Microsoft.AspNetCore.Hosting.Server.IServer server, IHostApplicationLifetime lifetime, ILogger<HostAnnouncer> logger) : IHostedService
{
    private readonly string _id = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = RegisterAsync());
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await registry.LeaveAsync(_id, cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or OperationCanceledException)
        {
            logger.LogWarning("This host's row stays in the hosts table (it is not live once this host stops answering): {Message}", ex.Message);
        }
    }

    private async Task RegisterAsync()
    {
        var address = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        try
        {
            if (address is not null)
            {
                await registry.RegisterAsync(_id, address);
            }
        }
        catch (RequestFailedException ex)
        {
            logger.LogWarning("Could not register this host in the hosts table; CLI commands will run their own workers: {Message}", ex.Message);
        }
    }
}
