using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>A model version ready to serve.</summary>
public sealed record ServedModel(string Model, int Version, DatasetSchema Schema, TrainedModel Predictor);

/// <summary>
/// Resolves an alias or version to a loaded model. Each version is downloaded once, its SHA-256 checked against the
/// registry, and kept; an alias is read on every call, so moving it swaps the model served at once. Loaded models are
/// safe to share: <see cref="TrainedModel.Predict"/> keeps no per-call state.
/// </summary>
public sealed class ModelServer(ModelRegistry registry, ArtifactStore store, ILogger<ModelServer> logger)
{
    private readonly ConcurrentDictionary<(string Model, int Version), Lazy<Task<ServedModel>>> _loaded = new();

    /// <summary>Returns the version an alias points at (or the given version), or null when there is none.</summary>
    public async Task<ModelVersion?> ResolveAsync(string model, string? alias, int? version, CancellationToken ct = default)
    {
        var number = version ?? await registry.ResolveAliasAsync(model, alias ?? ModelRegistry.Champion, ct);
        return number is null ? null : await registry.GetVersionAsync(model, number.Value, ct);
    }

    /// <summary>Why <see cref="ResolveAsync"/> found nothing: no such model, or no such version or alias of it.</summary>
    public async Task<string> DescribeMissingAsync(string model, string? alias, int? version, CancellationToken ct = default) =>
        (await registry.ListVersionsAsync(model, ct)).Count == 0 ? NoSuchModel(model)
        : version is { } number ? $"Model '{model}' has no version {number}."
        : $"Model '{model}' has no '{alias ?? ModelRegistry.Champion}' version.";

    public static string NoSuchModel(string model) => $"No model named '{model}' exists.";

    public async Task<ServedModel> LoadAsync(ModelVersion version)
    {
        var key = (version.Model, version.Version);
        var lazy = _loaded.GetOrAdd(key, _ => new Lazy<Task<ServedModel>>(() => LoadCoreAsync(version)));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            _loaded.TryRemove(new KeyValuePair<(string, int), Lazy<Task<ServedModel>>>(key, lazy));
            throw;
        }
    }

    private async Task<ServedModel> LoadCoreAsync(ModelVersion version)
    {
        var folder = $"{version.Model}/{version.Version}";
        var zip = await store.ReadAsync(ArtifactStore.Artifacts, $"{folder}/model.zip");
        var sha = ArtifactStore.Sha256(zip);
        if (!string.Equals(sha, version.ArtifactSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"model.zip of '{version.Model}' v{version.Version} has SHA-256 {sha}, but the registry recorded {version.ArtifactSha256}: refusing to load it.");
        }

        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, $"{folder}/schema.json");
        var predictor = TrainedModel.Load(zip.ToStream(), schema, version.Trainer);
        logger.LogInformation("Loaded {Model} v{Version} ({Bytes} bytes, SHA-256 verified)", version.Model, version.Version, zip.ToMemory().Length);
        return new ServedModel(version.Model, version.Version, schema, predictor);
    }
}
