using System.IO.Pipelines;
using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using MlLifecycle.Core;

namespace MlLifecycle.Storage;

/// <summary>Blob containers of the storage contract and the few operations the lifecycle needs on them.</summary>
public sealed class ArtifactStore(BlobServiceClient service)
{
    public const string Datasets = "datasets";
    public const string Quarantine = "quarantine";
    public const string Artifacts = "artifacts";
    public const string Predictions = "predictions";
    public const string InferenceLog = "inference-log";

    /// <summary>Uploads to score: <c>scoring/{model}/{file}.csv</c> starts a batch job (the blob trigger).</summary>
    public const string Scoring = "scoring";

    /// <summary>Data to check for drift: <c>monitoring/{model}/{file}.csv</c> (what <c>drift --data</c> uploads).</summary>
    public const string Monitoring = "monitoring";

    private static readonly string[] AllContainers = [Datasets, Quarantine, Artifacts, Predictions, InferenceLog, Scoring, Monitoring];

    public BlobServiceClient Service => service;

    /// <summary>Blob listings give ETags bare, headers give them quoted: compare without the quotes.</summary>
    public static bool SameETag(string a, string b) => a.Trim('"') == b.Trim('"');

    private static BlobRequestConditions? IfMatch(string? etag) =>
        etag is null ? null : new BlobRequestConditions { IfMatch = new ETag($"\"{etag.Trim('"')}\"") };

    public static string Sha256(BinaryData content) => Convert.ToHexStringLower(SHA256.HashData(content.ToMemory().Span));

    public async Task EnsureContainersAsync(CancellationToken ct = default)
    {
        foreach (var name in AllContainers)
        {
            await service.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: ct);
        }
    }

    /// <summary>
    /// Whether a blob name from a request stays inside its container: no empty, <c>.</c> or <c>..</c> segment (the
    /// storage endpoint resolves <c>monitoring/../artifacts/…</c> to another container), no backslash or control character.
    /// </summary>
    public static bool IsPlainBlobName(string name) =>
        name.Length > 0 && !name.Any(c => c == '\\' || char.IsControl(c)) && name.Split('/').All(segment => segment is not ("" or "." or ".."));

    public BlobClient Blob(string container, string name) => service.GetBlobContainerClient(container).GetBlobClient(name);

    /// <summary>Reads a blob; null when it does not exist.</summary>
    public Task<BinaryData?> TryReadAsync(string container, string name, CancellationToken ct = default) => TryReadAsync(container, name, null, ct);

    /// <summary>Reads a blob (only the version with <paramref name="etag"/>, when given); null when it does not exist or has changed.</summary>
    public async Task<BinaryData?> TryReadAsync(string container, string name, string? etag, CancellationToken ct = default)
    {
        try
        {
            var options = new BlobDownloadOptions { Conditions = IfMatch(etag) };
            var result = await Blob(container, name).DownloadContentAsync(options, ct);
            return result.Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null;
        }
    }

    public async Task<BinaryData> ReadAsync(string container, string name, CancellationToken ct = default) =>
        await TryReadAsync(container, name, ct) ?? throw new FileNotFoundException($"Blob '{container}/{name}' does not exist.");

    public async Task<T> ReadJsonAsync<T>(string container, string name, CancellationToken ct = default) =>
        LifecycleJson.Deserialize<T>((await ReadAsync(container, name, ct)).ToString());

    public async Task<BlobProperties?> TryGetPropertiesAsync(string container, string name, CancellationToken ct = default)
    {
        try
        {
            return (await Blob(container, name).GetPropertiesAsync(cancellationToken: ct)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Writes a blob (replacing it) and returns the SHA-256 of its content.</summary>
    public async Task<string> WriteAsync(string container, string name, BinaryData content, IDictionary<string, string>? metadata = null, CancellationToken ct = default)
    {
        var options = new BlobUploadOptions { Metadata = metadata, HttpHeaders = new BlobHttpHeaders { ContentType = ContentType(name) } };
        await Blob(container, name).UploadAsync(content, options, ct);
        return Sha256(content);
    }

    public Task<string> WriteJsonAsync<T>(string container, string name, T value, CancellationToken ct = default) =>
        WriteAsync(container, name, BinaryData.FromString(LifecycleJson.Serialize(value)), ct: ct);

    /// <summary>
    /// Copies a dataset blob to <c>quarantine/</c> (same name) with <c>{name}.reason.json</c> beside it. The upload stays
    /// in <c>datasets/</c>: runs are per blob version, so the trigger does not start it again. With an ETag only that
    /// version is copied; a newer upload under the same name has its own run.
    /// </summary>
    public async Task QuarantineAsync(string datasetName, string? etag, object reason, CancellationToken ct = default)
    {
        await WriteJsonAsync(Quarantine, $"{datasetName}.reason.json", reason, ct);
        try
        {
            // A copy inside the storage account: the file, however large, never passes through this process.
            var copy = await Blob(Quarantine, datasetName).StartCopyFromUriAsync(Blob(Datasets, datasetName).Uri, new BlobCopyFromUriOptions { SourceConditions = IfMatch(etag) }, ct);
            await copy.WaitForCompletionAsync(ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // That version is gone: a newer upload under the same name has its own run.
        }
    }

    /// <summary>Opens a blob for reading (only the version with <paramref name="etag"/>, when given); null when it does not exist or has changed.</summary>
    /// <remarks>The stream fails if the blob changes while it is read.</remarks>
    public async Task<Stream?> TryOpenReadAsync(string container, string name, string? etag, CancellationToken ct = default)
    {
        try
        {
            return await Blob(container, name).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { Conditions = IfMatch(etag) }, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes a blob from what <paramref name="write"/> writes to a stream, uploading blocks of 8 MB four at a time as it
    /// writes: content too large to hold in memory at once goes up while it is made, and replaces the blob at the end.
    /// </summary>
    public async Task WriteStreamingAsync(string container, string name, Action<Stream> write, CancellationToken ct = default)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 32 << 20, resumeWriterThreshold: 16 << 20));
        var producing = Task.Run(
            async () =>
            {
                try
                {
                    await using (var writer = pipe.Writer.AsStream())
                    {
                        write(writer);
                    }
                }
                catch (Exception ex)
                {
                    await pipe.Writer.CompleteAsync(ex);
                    throw;
                }
            },
            ct);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = ContentType(name) },
            TransferOptions = new Azure.Storage.StorageTransferOptions { MaximumConcurrency = 4, InitialTransferSize = 8 << 20, MaximumTransferSize = 8 << 20 },
        };
        await using (var reader = pipe.Reader.AsStream())
        {
            await Blob(container, name).UploadAsync(reader, options, ct);
        }

        await producing;
    }

    /// <summary>
    /// Stages part <paramref name="index"/> of a blob written in parts: it stays invisible until
    /// <see cref="CommitPartsAsync"/>. Staging a part again replaces it, so a repeated writer does no harm.
    /// </summary>
    public async Task StagePartAsync(string container, string name, int index, Stream content, CancellationToken ct = default) =>
        await BlockBlob(container, name).StageBlockAsync(PartId(index), content, cancellationToken: ct);

    /// <summary>Makes parts 0 … <paramref name="parts"/> − 1, in that order, the blob's content (one step: readers see all or nothing).</summary>
    public async Task CommitPartsAsync(string container, string name, int parts, CancellationToken ct = default) =>
        await BlockBlob(container, name).CommitBlockListAsync(
            Enumerable.Range(0, parts).Select(PartId),
            new CommitBlockListOptions { HttpHeaders = new BlobHttpHeaders { ContentType = ContentType(name) } },
            ct);

    /// <summary>Deletes every blob under <paramref name="prefix"/>; returns how many there were.</summary>
    public async Task<int> DeleteFolderAsync(string container, string prefix, CancellationToken ct = default)
    {
        var client = service.GetBlobContainerClient(container);
        var deleted = 0;
        await foreach (var blob in client.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix.TrimEnd('/') + "/", ct))
        {
            deleted += (await client.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: ct)).Value ? 1 : 0;
        }

        return deleted;
    }

    private BlockBlobClient BlockBlob(string container, string name) => service.GetBlobContainerClient(container).GetBlockBlobClient(name);

    /// <summary>Block ids of one blob must all have the same length.</summary>
    private static string PartId(int index) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"part-{index:D8}"));

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".json" => "application/json",
        ".csv" => "text/csv",
        ".html" => "text/html",
        ".zip" => "application/zip",
        _ => "application/octet-stream",
    };
}
