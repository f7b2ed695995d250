using Microsoft.DurableTask.Client;
using MlLifecycle.Api;
using MlLifecycle.Storage;

namespace MlLifecycle.Local.Hosting;

/// <summary>
/// The local blob trigger: polls <c>datasets/</c> and starts one training run per blob version (name + ETag), like
/// the Functions <c>BlobTrigger</c>. The run id is derived from the version, and the Durable instance store is the
/// receipt, so a restart or a second host never starts a version twice.
/// </summary>
internal sealed class BlobWatcher(ArtifactStore store, TrainingStarter starter, DurableTaskClient client, ILogger<BlobWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly HashSet<string> _seen = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Blob watcher scan failed; retrying in {Interval}", Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task ScanAsync(CancellationToken ct)
    {
        var container = store.Service.GetBlobContainerClient(ArtifactStore.Datasets);
        await foreach (var blob in container.GetBlobsAsync(cancellationToken: ct))
        {
            var key = $"{blob.Name}\n{blob.Properties.ETag}";
            if (!_seen.Contains(key))
            {
                await starter.StartForBlobAsync(client, blob.Name, blob.Properties.ETag.ToString()!, ct);
                _seen.Add(key);
            }
        }
    }
}
