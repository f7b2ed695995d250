using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
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

    private static readonly string[] AllContainers = [Datasets, Quarantine, Artifacts, Predictions, InferenceLog];

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
        if (await TryReadAsync(Datasets, datasetName, etag, ct) is { } content)
        {
            await WriteAsync(Quarantine, datasetName, content, ct: ct);
        }
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".json" => "application/json",
        ".csv" => "text/csv",
        ".html" => "text/html",
        ".zip" => "application/zip",
        _ => "application/octet-stream",
    };
}
