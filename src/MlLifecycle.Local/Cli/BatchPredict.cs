using System.Globalization;
using Azure.Storage.Blobs.Models;
using MlLifecycle.Api;
using MlLifecycle.Core;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Local.Cli;

/// <summary>
/// <c>predict</c> on a large CSV: the file is uploaded to <c>scoring/{model}/</c> (the blob trigger's path) and scored by
/// a batch job — run by a live <c>serve</c>, this command being its client, else by a worker in this process — and
/// the job's output is downloaded. Its columns are those of the in-process path.
/// </summary>
internal static class BatchPredict
{
    /// <summary>CSVs larger than this are scored as a batch job.</summary>
    public const long MaxInProcessBytes = 10 * 1024 * 1024;

    /// <summary>CSVs with more rows than this are scored as a batch job.</summary>
    public const int MaxInProcessRows = 50_000;

    /// <summary>Whether a file is scored as a batch job: a CSV over 10 MiB or over 50 000 rows (lines after the header). JSON never is.</summary>
    public static bool IsLarge(FileInfo input)
    {
        if (input.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (input.Length > MaxInProcessBytes)
        {
            return true;
        }

        using var stream = input.OpenRead();
        var buffer = new byte[81_920];
        var lines = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0 && lines <= MaxInProcessRows + 1)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return lines > MaxInProcessRows + 1;
    }

    public static async Task<int> RunAsync(string model, FileInfo input, FileInfo? output, string? alias, int? version, bool json, bool verbose, CancellationToken ct)
    {
        if (alias is not null && version is not null)
        {
            throw new CliException("Give --alias or --version, not both.");
        }

        using var loggers = CliContext.CreateLoggerFactory(verbose);
        // A live `serve` runs the job and this command is its client; otherwise it runs a worker itself.
        await using var platform = await LocalPlatform.StartAsync(CliContext.Platform(httpPort: null, watchBlobs: false, hostWorker: null), loggers, ct);
        var registry = platform.Services.GetRequiredService<ModelRegistry>();
        var store = platform.Services.GetRequiredService<ArtifactStore>();
        // Pinned now, in the upload's metadata: the blob trigger of a live `serve` starts the same job with the same version.
        var pinned = await registry.FindVersionAsync(model, alias, version, ct) ?? throw new CliException(await registry.DescribeMissingAsync(model, alias, version, ct));
        var metadata = new Dictionary<string, string> { [BatchStarter.VersionMetadata] = pinned.Version.ToString(CultureInfo.InvariantCulture) };
        var blobName = $"{model}/{Path.GetFileNameWithoutExtension(input.Name)}.csv";
        string etag;
        await using (var stream = input.OpenRead())
        {
            etag = (await store.Blob(ArtifactStore.Scoring, blobName).UploadAsync(stream, new BlobUploadOptions { Metadata = metadata }, ct)).Value.ETag.ToString();
        }

        Console.Error.WriteLine($"{input.Name} is over {MaxInProcessRows} rows or {MaxInProcessBytes / 1024 / 1024} MiB: scoring it as a batch job; uploaded to {ArtifactStore.Scoring}/{blobName}");
        var jobId = await platform.Services.GetRequiredService<BatchStarter>().StartForBlobAsync(platform.Client, blobName, etag, metadata, ct)
            ?? throw new CliException($"'{blobName}' is not a scoring path.");
        var job = await Follow.UntilFinishedAsync(
            platform,
            $"batch job {jobId}",
            async () => await BatchView.GetAsync(platform.Client, jobId, ct) ?? throw new CliException($"Batch job '{jobId}' does not exist."),
            view => view.Progress.Chunks == 0 ? view.Stage ?? view.Status : $"{view.Stage ?? view.Status}: {view.Progress.ChunksDone}/{view.Progress.Chunks} chunks, {view.Progress.RowsScored}/{view.Progress.Rows} rows",
            view => view.IsFinished,
            ct);
        foreach (var anomaly in job.Anomalies ?? [])
        {
            Console.Error.WriteLine($"{anomaly.Severity.ToString().ToLowerInvariant()} {anomaly.Code} [{anomaly.Column}]: {anomaly.Message}");
        }

        if (job.Status != RunStatus.Succeeded || job.Output is null)
        {
            throw new CliException($"batch job {jobId} {job.Status.ToLowerInvariant()}: {job.Message}");
        }

        await DownloadAsync(store, job.Output, output, ct);
        Console.Error.WriteLine($"predicted {job.Progress.RowsScored} rows with {model} v{job.Version} in batch job {jobId} ({job.Output})" + (output is null ? "" : $" → {output.FullName}"));
        if (json)
        {
            Console.WriteLine(LifecycleJson.Serialize(new { model, version = job.Version, rows = job.Progress.RowsScored, output = output?.FullName, jobId, blob = job.Output }, compact: true));
        }

        return 0;
    }

    /// <summary>Copies <c>{container}/{blob}</c> to the file, or to stdout.</summary>
    private static async Task DownloadAsync(ArtifactStore store, string blob, FileInfo? output, CancellationToken ct)
    {
        var slash = blob.IndexOf('/', StringComparison.Ordinal);
        var client = store.Blob(blob[..slash], blob[(slash + 1)..]);
        if (output is not null)
        {
            await client.DownloadToAsync(output.FullName, ct);
            return;
        }

        await using var stdout = Console.OpenStandardOutput();
        await client.DownloadToAsync(stdout, ct);
    }
}
