using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>Settings of the serving hot path (configuration section <c>Serving</c>).</summary>
public sealed class ServingOptions
{
    /// <summary>
    /// How long cached routing (aliases) is served before it is read again in the background. An alias moved by another
    /// process is served within this time; one moved through this process's API, at once. Default 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan RouteTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Model versions kept loaded; the least recently used is dropped beyond this. Default 8.</summary>
    [Range(1, 1000)]
    public int MaxLoadedModels { get; set; } = 8;

    /// <summary>Rows per prediction request; more get 413 (batch scoring takes files). Default 10 000.</summary>
    [Range(1, 1_000_000)]
    public int MaxRows { get; set; } = 10_000;

    /// <summary>Share of prediction requests logged to <c>inference-log</c> (0–1, default 1); requests under a traffic split are always logged.</summary>
    [Range(0.0, 1.0)]
    public double LogSampleRate { get; set; } = 1.0;

    /// <summary>Bytes of a prediction request's body; more get 413. Default 16 MiB.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;
}

/// <summary>A model version ready to serve, and which of its schema's features the model reads.</summary>
public sealed record ServedModel(string Model, int Version, DatasetSchema Schema, TrainedModel Predictor, IReadOnlyList<bool> Required)
{
    public IReadOnlyList<string> FeatureNames { get; } = [.. Schema.Features.Select(f => f.Name)];
}

/// <summary>
/// The model a request is routed to: the alias that chose it (null when a version was asked for), the traffic split's
/// variant (null when the request named an alias or version) and the shadow version to score a copy with, if any.
/// </summary>
public sealed record Route(ServedModel Served, string? Alias, string? Variant = null, int? Shadow = null);

/// <summary>A model artifact whose SHA-256 differs from the registry's record: it is never loaded.</summary>
public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// Routes prediction requests to loaded models with no storage call in the steady state. Aliases are cached per model
/// and read again in the background once older than <see cref="ServingOptions.RouteTtl"/>; a moved alias is swapped in
/// only after its new version has loaded, so no request waits for or fails on the swap, and a version that fails its
/// integrity check never replaces the one serving. Version records are cached (registered versions do not change), and
/// loaded models sit in an LRU cache of <see cref="ServingOptions.MaxLoadedModels"/>, each verified by SHA-256 first.
/// </summary>
public sealed class ModelServer(ModelRegistry registry, ArtifactStore store, IOptions<ServingOptions> options, TimeProvider time, ILogger<ModelServer> logger)
{
    private readonly ConcurrentDictionary<string, Routes> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<Routes>>> _refreshing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Model, int Version), ModelVersion> _versions = new();
    private readonly ConcurrentDictionary<(string Model, int Version), Loaded> _loaded = new();

    /// <summary>
    /// The model serving <paramref name="version"/>, or <paramref name="alias"/>, or else the model's traffic split (by
    /// weight; <paramref name="key"/> makes the choice sticky) or its champion; null when there is none.
    /// </summary>
    /// <exception cref="ModelIntegrityException">The version's artifact fails its SHA-256 check.</exception>
    public async ValueTask<Route?> RouteAsync(string model, string? alias, int? version, CancellationToken ct = default, string? key = null)
    {
        if (version is { } number)
        {
            return await GetVersionAsync(model, number, ct) is { } record ? new Route(await LoadAsync(record), null) : null;
        }

        var routes = await RoutesAsync(model, ct);
        var traffic = alias is null ? routes.Traffic : null;
        var variant = traffic is null ? null : TrafficRouter.Choose(traffic.Weights, key);
        alias ??= variant ?? ModelRegistry.Champion;
        return routes.Aliases.TryGetValue(alias, out var target) && await GetVersionAsync(model, target, ct) is { } pinned
            ? new Route(await LoadAsync(pinned), alias, variant, traffic?.Shadow)
            : null;
    }

    /// <summary>Why <see cref="RouteAsync"/> found nothing: no such model, or no such version or alias of it.</summary>
    public async Task<string> DescribeMissingAsync(string model, string? alias, int? version, CancellationToken ct = default) =>
        (await registry.ListVersionsAsync(model, ct)).Count == 0 ? NoSuchModel(model)
        : version is { } number ? $"Model '{model}' has no version {number}."
        : $"Model '{model}' has no '{alias ?? ModelRegistry.Champion}' version.";

    public static string NoSuchModel(string model) => $"No model named '{model}' exists.";

    /// <summary>Reads a model's aliases now and swaps them in once their versions have loaded (after this process moved one).</summary>
    public async Task RefreshAsync(string model, CancellationToken ct = default)
    {
        _routes.TryGetValue(model, out var previous);
        Publish(model, await ReadRoutesAsync(model, previous, ct));
    }

    /// <summary>A loaded version, from the cache or downloaded, verified by SHA-256 and loaded.</summary>
    /// <exception cref="ModelIntegrityException">The artifact fails its SHA-256 check.</exception>
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
        catch
        {
            _loaded.TryRemove(new KeyValuePair<(string, int), Loaded>(key, entry));
            throw;
        }
    }

    private async ValueTask<Routes> RoutesAsync(string model, CancellationToken ct)
    {
        if (!_routes.TryGetValue(model, out var routes))
        {
            return await RefreshOnceAsync(model, null).WaitAsync(ct);
        }

        if (time.GetElapsedTime(routes.ReadAt) > options.Value.RouteTtl)
        {
            _ = RefreshOnceAsync(model, routes); // stale routes keep serving meanwhile; a failed read is logged and retried
        }

        return routes;
    }

    /// <summary>One read of a model's aliases at a time, however many requests find them stale.</summary>
    private Task<Routes> RefreshOnceAsync(string model, Routes? previous)
    {
        var refresh = _refreshing.GetOrAdd(model, key => new Lazy<Task<Routes>>(async () =>
        {
            try
            {
                var routes = await ReadRoutesAsync(model, previous, CancellationToken.None);
                Publish(model, routes);
                return routes;
            }
            catch (Exception ex) when (previous is not null)
            {
                logger.LogWarning(ex, "Could not refresh the routes of {Model}; serving the cached ones", model);
                return previous;
            }
            finally
            {
                _refreshing.TryRemove(key, out var _);
            }
        }));
        return refresh.Value;
    }

    /// <summary>Unknown models are not cached, so request paths cannot grow the cache; they are an error path anyway.</summary>
    private void Publish(string model, Routes routes)
    {
        if (routes.Aliases.Count > 0)
        {
            _routes[model] = routes;
        }
        else
        {
            _routes.TryRemove(model, out _);
        }
    }

    /// <summary>Reads the aliases; an alias whose version changed is swapped in only once that version has loaded.</summary>
    private async Task<Routes> ReadRoutesAsync(string model, Routes? previous, CancellationToken ct)
    {
        var routing = await registry.GetRoutingAsync(model, ct);
        var aliases = new Dictionary<string, int>(routing.Aliases, StringComparer.Ordinal);
        foreach (var (alias, version) in aliases.ToList())
        {
            if (previous is null || !previous.Aliases.TryGetValue(alias, out var serving) || serving == version)
            {
                continue;
            }

            try
            {
                var record = await GetVersionAsync(model, version, ct) ?? throw new InvalidOperationException($"version {version} is not registered");
                await LoadAsync(record);
                logger.LogInformation("{Model} '{Alias}' moved from v{From} to v{To}", model, alias, serving, version);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "{Model} '{Alias}' points at v{To}, which cannot be served; v{From} keeps serving", model, alias, version, serving);
                aliases[alias] = serving;
            }
        }

        return new Routes(aliases, routing.Traffic, time.GetTimestamp());
    }

    private async ValueTask<ModelVersion?> GetVersionAsync(string model, int version, CancellationToken ct)
    {
        if (_versions.TryGetValue((model, version), out var record))
        {
            return record;
        }

        record = await registry.GetVersionAsync(model, version, ct);
        return record is null ? null : _versions.GetOrAdd((model, version), record);
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
        var predictor = TrainedModel.Load(zip.ToStream(), schema, version.Trainer);
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

    private sealed record Routes(IReadOnlyDictionary<string, int> Aliases, TrafficSplit? Traffic, long ReadAt);

    private sealed class Loaded(Lazy<Task<ServedModel>> model)
    {
        public Lazy<Task<ServedModel>> Model { get; } = model;

        public long LastUsed { get; set; }
    }
}
