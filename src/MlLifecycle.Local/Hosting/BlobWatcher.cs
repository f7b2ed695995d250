using Microsoft.DurableTask.Client;
using MlLifecycle.Api;
using MlLifecycle.Storage;

namespace MlLifecycle.Local.Hosting;

/// <summary>
/// The local blob trigger: polls <c>datasets/</c> and starts one training run per blob version (name + ETag), like
/// the Functions <c>BlobTrigger</c>. The run id is derived from the version, and the Durable instance store is the
/// receipt, so a restart or a second host never starts a version twice. While nothing new arrives it polls less
/// often, up to every <see cref="LocalPlatformOptions.BlobWatchMaxInterval"/>, so an idle host costs little; a new blob brings it back to
/// <see cref="Interval"/>.
/// </summary>
internal sealed class BlobWatcher(ArtifactStore store, TrainingStarter starter, DurableTaskClient client, LocalPlatformOptions options, ILogger<BlobWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly HashSet<string> _seen = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                interval = await ScanAsync(stoppingToken) ? Interval : TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, options.BlobWatchMaxInterval.Ticks));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Blob watcher scan failed; retrying in {Interval}", interval);
            }

            await Task.Delay(interval, stoppingToken);
        }
    }

    /// <summary>Starts a run for every blob version not seen yet; true when there was one.</summary>
    private async Task<bool> ScanAsync(CancellationToken ct)
    {
        var found = false;
        var container = store.Service.GetBlobContainerClient(ArtifactStore.Datasets);
        await foreach (var blob in container.GetBlobsAsync(cancellationToken: ct))
        {
            if (_seen.Add($"{blob.Name}\n{blob.Properties.ETag}"))
            {
                found = true;
                try
                {
                    await starter.StartForBlobAsync(client, blob.Name, blob.Properties.ETag.ToString()!, ct);
                }
                catch
                {
                    _seen.Remove($"{blob.Name}\n{blob.Properties.ETag}");
                    throw;
                }
            }
        }

        return found;
    }
}
