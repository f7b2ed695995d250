using Microsoft.AspNetCore.Http;
using MlLifecycle.Core;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>A deployment change refused: HTTP status (404, 409, 412 or 400), message, and the field at fault.</summary>
public sealed class DeploymentException(int status, string message, string? field = null) : Exception(message)
{
    public int Status { get; } = status;

    public string? Field { get; } = field;
}

/// <summary>
/// Deployment changes with their rules, for the HTTP API and the CLI: an alias only ever points at a registered,
/// unarchived version that loads (SHA-256 checked); a traffic split names existing aliases; a served version is not
/// archived. Each change is applied to this process's routing at once.
/// </summary>
public sealed class Deployments(ModelRegistry registry, ModelServer server, TimeProvider time)
{
    /// <summary>Moves (or creates) an alias; with <paramref name="ifMatch"/> only if its ETag is still that.</summary>
    public async Task<AliasState> MoveAliasAsync(string model, string alias, int version, string? ifMatch, Actor actor, CancellationToken ct = default)
    {
        if (!ModelName.IsValid(alias))
        {
            throw new DeploymentException(StatusCodes.Status400BadRequest, $"Alias '{alias}' is invalid: {ModelName.Describe}.", "alias");
        }

        await EnsureServableAsync(model, version, ct);
        var move = await registry.MoveAliasAsync(model, alias, version, ifMatch is null ? AliasGuard.None : AliasGuard.IfMatch(ifMatch), actor, time.GetUtcNow(), ct: ct);
        if (move.Outcome == AliasMoveOutcome.Conflict)
        {
            throw new DeploymentException(
                StatusCodes.Status412PreconditionFailed,
                $"Alias '{alias}' of '{model}' changed: it points at v{move.State?.Version} with ETag {move.State?.ETag}, not the ETag in If-Match. Read it again and retry.");
        }

        await server.RefreshAsync(model, ct);
        return move.State!;
    }

    /// <summary>Points an alias back at its previous version; returns (restored, rolled back from).</summary>
    public async Task<(int Restored, int From)> RollbackAsync(string model, string alias, Actor actor, CancellationToken ct = default)
    {
        var current = await registry.GetAliasAsync(model, alias, ct)
            ?? throw new DeploymentException(StatusCodes.Status404NotFound, await server.DescribeMissingAsync(model, alias, null, ct));
        if (current.Previous is not { } previous)
        {
            throw new DeploymentException(StatusCodes.Status409Conflict, $"Alias '{alias}' of '{model}' has never moved: there is no previous version to roll back to.");
        }

        await EnsureServableAsync(model, previous, ct);
        var restored = await registry.RollbackAliasAsync(model, alias, time.GetUtcNow(), actor, ct);
        await server.RefreshAsync(model, ct);
        return (restored, current.Version);
    }

    /// <summary>Sets the traffic split (alias weights and a shadow version); no weights and no shadow clear it.</summary>
    public async Task<TrafficSplit?> SetTrafficAsync(string model, IReadOnlyDictionary<string, int> weights, int? shadow, Actor actor, CancellationToken ct = default)
    {
        var aliases = await registry.GetAliasesAsync(model, ct);
        if (weights.Keys.FirstOrDefault(a => !aliases.ContainsKey(a)) is { } unknown)
        {
            throw new DeploymentException(StatusCodes.Status400BadRequest, $"Model '{model}' has no alias '{unknown}'. Aliases: {string.Join(", ", aliases.Keys.DefaultIfEmpty("none"))}.", unknown);
        }

        if (weights.Values.Any(w => w < 0) || (weights.Count > 0 && weights.Values.Sum() == 0))
        {
            throw new DeploymentException(StatusCodes.Status400BadRequest, "Weights are non-negative integers, and at least one is positive (clear the split with no weights).");
        }

        if (shadow is { } version)
        {
            await EnsureServableAsync(model, version, ct);
        }

        var traffic = weights.Count == 0 && shadow is null ? null : new TrafficSplit(weights, shadow);
        await registry.SetTrafficAsync(model, traffic, actor, time.GetUtcNow(), ct);
        await server.RefreshAsync(model, ct);
        return traffic;
    }

    /// <summary>Sets a version's stage; a version an alias or the shadow serves cannot be archived.</summary>
    public async Task SetStageAsync(string model, int version, string stage, Actor actor, CancellationToken ct = default)
    {
        if (!VersionStages.All.Contains(stage))
        {
            throw new DeploymentException(StatusCodes.Status400BadRequest, $"Stage '{stage}' is not one of {string.Join(", ", VersionStages.All)}.", "stage");
        }

        if (await registry.GetVersionAsync(model, version, ct) is null)
        {
            throw new DeploymentException(StatusCodes.Status404NotFound, await server.DescribeMissingAsync(model, null, version, ct));
        }

        var routing = await registry.GetRoutingAsync(model, ct);
        var servedAs = routing.Aliases.Where(a => a.Value == version).Select(a => $"'{a.Key}'").FirstOrDefault() ?? (routing.Traffic?.Shadow == version ? "the shadow" : null);
        if (stage == VersionStages.Archived && servedAs is not null)
        {
            throw new DeploymentException(StatusCodes.Status409Conflict, $"v{version} of '{model}' is served as {servedAs}: move that first, then archive it.");
        }

        await registry.SetStageAsync(model, version, stage, actor, time.GetUtcNow(), ct);
    }

    /// <summary>Refuses a version that is not registered (404), archived (409) or fails its integrity check (<see cref="ModelIntegrityException"/>).</summary>
    private async Task EnsureServableAsync(string model, int version, CancellationToken ct)
    {
        var record = await registry.GetVersionAsync(model, version, ct)
            ?? throw new DeploymentException(StatusCodes.Status404NotFound, await server.DescribeMissingAsync(model, null, version, ct));
        if (record.Stage == VersionStages.Archived)
        {
            throw new DeploymentException(StatusCodes.Status409Conflict, $"v{version} of '{model}' is archived: set its stage to approved or candidate before serving it.");
        }

        await server.LoadAsync(record);
    }
}
