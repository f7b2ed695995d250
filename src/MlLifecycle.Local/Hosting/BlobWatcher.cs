using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using MlLifecycle.Api;
using MlLifecycle.Storage;

namespace MlLifecycle.Local.Hosting;

/// <summary>
/// The local blob triggers: polls <c>datasets/</c> and starts one training run per blob version (name + ETag), and
/// <c>scoring/</c> and starts one batch scoring job per blob version, like the Functions <c>BlobTrigger</c>s. Ids are
/// derived from the version, and the Durable instance store is the receipt, so a restart or a second host never starts
/// a version twice. While nothing new arrives it polls less often, up to every
/// <see cref="LocalPlatformOptions.BlobWatchMaxInterval"/>, so an idle host costs little; a new blob brings it back to
/// <see cref="Interval"/>.
/// </summary>
internal sealed class BlobWatcher(ArtifactStore store, TrainingStarter training, BatchStarter batches, DurableTaskClient client, LocalPlatformOptions options, ILogger<BlobWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly HashSet<string> _seen = [];

    /// <summary>Each watched container, what its listing must include, and what an upload there starts.</summary>
    private (string Container, BlobTraits Traits, Func<BlobItem, CancellationToken, Task> Start)[] Triggers =>
    [
        (ArtifactStore.Datasets, BlobTraits.None, (blob, ct) => training.StartForBlobAsync(client, blob.Name, blob.Properties.ETag.ToString()!, ct)),
        (ArtifactStore.Scoring, BlobTraits.Metadata, (blob, ct) => batches.StartForBlobAsync(client, blob.Name, blob.Properties.ETag.ToString()!, blob.Metadata, ct)),
    ];

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

    /// <summary>Starts a run or job for every blob version not seen yet; true when there was one.</summary>
    private async Task<bool> ScanAsync(CancellationToken ct)
    {
        var found = false;
        foreach (var (name, traits, start) in Triggers)
        {
            var container = store.Service.GetBlobContainerClient(name);
            await foreach (var blob in container.GetBlobsAsync(traits, BlobStates.None, null, ct))
            {
                var key = $"{name}/{blob.Name}\n{blob.Properties.ETag}";
                if (_seen.Add(key))
                {
                    found = true;
                    try
                    {
                        await start(blob, ct);
                    }
                    catch
                    {
                        _seen.Remove(key);
                        throw;
                    }
                }
            }
        }

        return found;
    }
}
