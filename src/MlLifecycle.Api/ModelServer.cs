using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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

    /// <summary>Rows per prediction request; more get 413 (batch scoring takes files). Default 10 000.</summary>
    [Range(1, 1_000_000)]
    public int MaxRows { get; set; } = 10_000;

    /// <summary>
    /// Share of prediction requests logged to <c>inference-log</c> (0–1, default 0.1); requests under a traffic split
    /// are always logged (the A/B test joins feedback to them). Logging every request costs about half the
    /// throughput of 100-row batches (bench/README.md), hence a sample by default, as SageMaker's data capture does.
    /// </summary>
    [Range(0.0, 1.0)]
    public double LogSampleRate { get; set; } = 0.1;

    /// <summary>
    /// Share of prediction requests traced with a <c>predict</c> span (0–1, default 0.01) when a trace exporter is
    /// configured; the prediction metrics count every request.
    /// </summary>
    [Range(0.0, 1.0)]
    public double TraceSampleRate { get; set; } = 0.01;

    /// <summary>Bytes of a prediction request's body; more get 413. Default 16 MiB.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;
}

/// <summary>
/// The model a request is routed to: the alias that chose it (null when a version was asked for), the traffic split's
/// variant (null when the request named an alias or version), the shadow version to score a copy with, if any, and
/// the variant's failure when the champion answers in its place.
/// </summary>
public sealed record Route(ServedModel Served, string? Alias, string? Variant = null, int? Shadow = null, VariantFailure? Failure = null);

/// <summary>
/// Routes prediction requests to loaded models with no storage call in the steady state. Aliases are cached per model
/// and read again in the background once older than <see cref="ServingOptions.RouteTtl"/>; a moved alias is swapped in
/// only after its new version has loaded, so no request waits for or fails on the swap, and a version that fails its
/// integrity check never replaces the one serving. Version records are cached (registered versions do not change), and
/// loaded models come from the <see cref="ModelCache"/> (LRU, each verified by SHA-256 first).
/// </summary>
public sealed class ModelServer(ModelRegistry registry, ModelCache models, IOptions<ServingOptions> options, TimeProvider time, ILogger<ModelServer> logger)
{
    private readonly ConcurrentDictionary<string, Routes> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<Routes>>> _refreshing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Model, int Version), ModelVersion> _versions = new();

    /// <summary>
    /// The model serving <paramref name="version"/>, or <paramref name="alias"/>, or else the model's traffic split (by
    /// weight; <paramref name="key"/> makes the choice sticky) or its champion; null when there is none. A variant
    /// other than the champion that cannot be loaded falls back to the champion (<see cref="FallBackAsync"/>).
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
        if (!routes.Aliases.TryGetValue(alias, out var target) || await GetVersionAsync(model, target, ct) is not { } pinned)
        {
            return null;
        }

        try
        {
            return new Route(await LoadAsync(pinned), alias, variant, traffic?.Shadow);
        }
        catch (Exception ex) when (variant is not null && variant != ModelRegistry.Champion && ex is not OperationCanceledException)
        {
            return await FallBackAsync(model, variant, target, ex.Message, ct);
        }
    }

    /// <summary>
    /// The champion, answering a request the traffic split sent to <paramref name="variant"/>, which failed it: a
    /// canary or challenger that cannot be loaded or scored costs no request, and the failure is recorded (the
    /// request's log record carries it, and the canary is judged on it). Null when the model has no champion.
    /// </summary>
    public async ValueTask<Route?> FallBackAsync(string model, string variant, int version, string error, CancellationToken ct = default)
    {
        logger.LogWarning("{Model} '{Variant}' v{Version} failed a request ({Error}); the champion answers it", model, variant, version, error);
        return await RouteAsync(model, ModelRegistry.Champion, null, ct) is { } champion
            ? champion with { Variant = variant, Failure = new VariantFailure(version, error) }
            : null;
    }

    /// <summary>Why <see cref="RouteAsync"/> found nothing: no such model, or no such version or alias of it.</summary>
    public Task<string> DescribeMissingAsync(string model, string? alias, int? version, CancellationToken ct = default) =>
        registry.DescribeMissingAsync(model, alias, version, ct);

    public static string NoSuchModel(string model) => ModelRegistry.NoSuchModel(model);

    /// <summary>Reads a model's aliases now and swaps them in once their versions have loaded (after this process moved one).</summary>
    public async Task RefreshAsync(string model, CancellationToken ct = default)
    {
        _routes.TryGetValue(model, out var previous);
        Publish(model, await ReadRoutesAsync(model, previous, ct));
    }

    /// <summary>A loaded version, from the cache or downloaded, verified by SHA-256 and loaded.</summary>
    /// <exception cref="ModelIntegrityException">The artifact fails its SHA-256 check.</exception>
    public Task<ServedModel> LoadAsync(ModelVersion version) => models.LoadAsync(version);

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

    private sealed record Routes(IReadOnlyDictionary<string, int> Aliases, TrafficSplit? Traffic, long ReadAt);
}
