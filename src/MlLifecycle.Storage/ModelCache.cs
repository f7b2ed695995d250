using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Storage;

/// <summary>How many model versions a process keeps loaded (configuration section <c>Serving</c>).</summary>
public sealed class ModelCacheOptions
{
    public const string Section = "Serving";

    /// <summary>Model versions kept loaded; the least recently used is dropped beyond this. Default 8.</summary>
    [Range(1, 1000)]
    public int MaxLoadedModels { get; set; } = 8;
}

/// <summary>A model version ready to score, and which of its schema's features the model reads.</summary>
public sealed record ServedModel(string Model, int Version, DatasetSchema Schema, TrainedModel Predictor, IReadOnlyList<bool> Required)
{
    public IReadOnlyList<string> FeatureNames { get; } = [.. Schema.Features.Select(f => f.Name)];
}

/// <summary>
/// A model artifact whose SHA-256 differs from the registry's record, or that fails <see cref="ModelArchive.Check"/>:
/// it is never loaded.
/// </summary>
public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// Registered model versions loaded for scoring, shared by real-time serving and batch jobs: each is downloaded once,
/// verified against the registry's SHA-256 before it is loaded, and kept in an LRU cache of
/// <see cref="ModelCacheOptions.MaxLoadedModels"/> versions.
/// </summary>
public sealed class ModelCache(ArtifactStore store, IOptions<ModelCacheOptions> options, TimeProvider time, ILogger<ModelCache> logger)
{
    private readonly ConcurrentDictionary<(string Model, int Version), Loaded> _loaded = new();

    /// <summary>A loaded version, from the cache or downloaded, verified by SHA-256 and loaded.</summary>
    /// <exception cref="ModelIntegrityException">The artifact fails its SHA-256 or archive check.</exception>
    public async Task<ServedModel> LoadAsync(ModelVersion version)
    {
        var key = (version.Model, version.Version);
        var now = time.GetTimestamp();
        if (!_loaded.TryGetValue(key, out var entry))
        {
            entry = _loaded.GetOrAdd(key, _ => new Loaded(new Lazy<Task<ServedModel>>(() => LoadCoreAsync(version))) { LastUsed = now });
            Evict();
        }

        entry.LastUsed = now;
        try
        {
            return await entry.Model.Value;
        }
        catch (Exception ex) when (ex is not ModelIntegrityException)
        {
            // A registered artifact never changes, so only a failed download is tried again; a refused one stays refused
            // (until evicted) rather than being downloaded and decompressed on every request.
            _loaded.TryRemove(new KeyValuePair<(string, int), Loaded>(key, entry));
            throw;
        }
    }

    /// <summary>Drops the least recently used models beyond the limit (in-flight requests keep theirs until done).</summary>
    private void Evict()
    {
        while (_loaded.Count > options.Value.MaxLoadedModels)
        {
            var oldest = _loaded.MinBy(e => e.Value.LastUsed);
            if (_loaded.TryRemove(oldest))
            {
                logger.LogInformation("Unloaded {Model} v{Version} (least recently used of more than {Max})", oldest.Key.Model, oldest.Key.Version, options.Value.MaxLoadedModels);
            }
        }
    }

    private async Task<ServedModel> LoadCoreAsync(ModelVersion version)
    {
        var folder = $"{version.Model}/{version.Version}";
        var zip = await store.ReadAsync(ArtifactStore.Artifacts, $"{folder}/model.zip");
        var sha = ArtifactStore.Sha256(zip);
        if (!string.Equals(sha, version.ArtifactSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelIntegrityException($"model.zip of '{version.Model}' v{version.Version} has SHA-256 {sha}, but the registry recorded {version.ArtifactSha256}: refusing to load it.");
        }

        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, $"{folder}/schema.json");
        var manifest = await store.TryReadAsync(ArtifactStore.Artifacts, $"{folder}/manifest.json");
        TrainedModel predictor;
        try
        {
            predictor = TrainedModel.Load(zip.ToStream(), schema, version.Trainer);
        }
        catch (InvalidDataException ex)
        {
            throw new ModelIntegrityException($"model.zip of '{version.Model}' v{version.Version} is refused: {ex.Message}");
        }

        logger.LogInformation("Loaded {Model} v{Version} ({Bytes} bytes, SHA-256 verified)", version.Model, version.Version, zip.ToMemory().Length);
        return new ServedModel(version.Model, version.Version, schema, predictor, Required(schema, manifest));
    }

    /// <summary>
    /// Features the model reads, from the manifest's feature list (a feature whose inputs selection dropped, and that no
    /// kept derived feature uses, is optional in requests). Without a manifest every feature is required.
    /// </summary>
    private static bool[] Required(DatasetSchema schema, BinaryData? manifest)
    {
        if (manifest is null || !JsonDocument.Parse(manifest).RootElement.TryGetProperty("features", out var features))
        {
            return [.. schema.Features.Select(_ => true)];
        }

        HashSet<string> read = new(StringComparer.Ordinal);
        foreach (var feature in features.EnumerateArray().Where(f => f.GetProperty("inputs").GetArrayLength() > 0))
        {
            if (feature.TryGetProperty("columns", out var columns) && columns.ValueKind == JsonValueKind.Array)
            {
                read.UnionWith(columns.EnumerateArray().Select(c => c.GetString()!));
            }
            else
            {
                read.Add(feature.GetProperty("name").GetString()!);
            }
        }

        return [.. schema.Features.Select(f => read.Contains(f.Name))];
    }

    private sealed class Loaded(Lazy<Task<ServedModel>> model)
    {
        public Lazy<Task<ServedModel>> Model { get; } = model;

        public long LastUsed { get; set; }
    }
}
