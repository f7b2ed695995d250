using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MlLifecycle.Core;

namespace MlLifecycle.Storage;

/// <summary>
/// Deployment state in the <c>aliases</c> table, one partition per model: a row per alias (RK = alias name), the
/// traffic split (RK <c>~traffic</c>) and the deployment history (RK <c>~history-{newest first}</c>). Each change and
/// its history row are written in one entity-group transaction, so the history holds every change that happened and
/// nothing that did not.
/// </summary>
public sealed partial class ModelRegistry
{
    private const string TrafficKey = "~traffic";
    private const string ExperimentKey = "~experiment";
    private const string HistoryPrefix = "~history-";

    /// <summary>Every alias of a model and the version it points at.</summary>
    public async Task<IReadOnlyDictionary<string, int>> GetAliasesAsync(string model, CancellationToken ct = default) =>
        (await GetRoutingAsync(model, ct)).Aliases;

    public async Task<int?> ResolveAliasAsync(string model, string alias, CancellationToken ct = default) =>
        (await GetAliasAsync(model, alias, ct))?.Version;

    public async Task<AliasState?> GetAliasAsync(string model, string alias, CancellationToken ct = default)
    {
        var row = await Aliases.GetEntityIfExistsAsync<TableEntity>(model, alias, cancellationToken: ct);
        return row.HasValue ? ToAlias(row.Value!) : null;
    }

    /// <summary>Aliases and traffic split of a model, in one query (what serving caches).</summary>
    public async Task<Routing> GetRoutingAsync(string model, CancellationToken ct = default)
    {
        Dictionary<string, int> aliases = new(StringComparer.Ordinal);
        TrafficSplit? traffic = null;
        await foreach (var row in Aliases.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {model} and (RowKey lt {"~"} or RowKey eq {TrafficKey})"), cancellationToken: ct))
        {
            if (row.RowKey == TrafficKey)
            {
                traffic = ToTraffic(row);
            }
            else
            {
                aliases[row.RowKey] = row.GetInt32("Version") ?? 0;
            }
        }

        return new Routing(aliases, traffic);
    }

    /// <summary>
    /// Moves (or creates) an alias, with its history row, in one transaction, if <paramref name="guard"/> holds: an
    /// ETag (HTTP <c>If-Match</c>), the version the alias must still point at, or none (the move then retries a lost
    /// race). Moving an alias to the version it already has changes nothing.
    /// </summary>
    public async Task<AliasMove> MoveAliasAsync(string model, string alias, int version, AliasGuard guard, Actor actor, DateTimeOffset now, string action = DeploymentActions.Move, CancellationToken ct = default)
    {
        while (true)
        {
            var current = await GetAliasAsync(model, alias, ct);
            if ((guard.ETag is { } etag && current?.ETag != etag) || (guard.ChecksVersion && current?.Version != guard.Version && current?.Version != version))
            {
                return new AliasMove(AliasMoveOutcome.Conflict, current);
            }

            if (current?.Version == version)
            {
                return new AliasMove(AliasMoveOutcome.Unchanged, current);
            }

            var entity = new TableEntity(model, alias)
            {
                ["Version"] = version,
                ["Previous"] = current?.Version,
                ["UpdatedAt"] = now,
                ["UpdatedBy"] = actor.By,
                ["Reason"] = actor.Reason,
            };
            var change = new DeploymentChange(model, action, alias, current?.Version, version, actor.By, actor.Reason, now);
            try
            {
                var responses = await Aliases.SubmitTransactionAsync(
                    [
                        current is null ? new TableTransactionAction(TableTransactionActionType.Add, entity) : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, new ETag(current.ETag)),
                        new TableTransactionAction(TableTransactionActionType.Add, History(change)),
                    ],
                    ct);
                Publish(change);
                return new AliasMove(AliasMoveOutcome.Moved, ToAlias(entity) with { ETag = responses.Value[0].Headers.ETag?.ToString() ?? "" });
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another move won the race: read again, and the guard decides.
            }
        }
    }

    /// <summary>Points an alias at a version if it still points at <paramref name="expected"/> (null = does not exist); true when it points at the version afterwards.</summary>
    public async Task<bool> TryMoveAliasAsync(string model, string alias, int version, int? expected, DateTimeOffset now, Actor? actor = null, CancellationToken ct = default) =>
        (await MoveAliasAsync(model, alias, version, AliasGuard.From(expected), actor ?? Actor.Lifecycle, now, DeploymentActions.Promote, ct)).Outcome != AliasMoveOutcome.Conflict;

    /// <summary>Creates an alias only if it does not exist yet; true when it points at the version afterwards.</summary>
    public Task<bool> TryCreateAliasAsync(string model, string alias, int version, DateTimeOffset now, CancellationToken ct = default) =>
        TryMoveAliasAsync(model, alias, version, expected: null, now, ct: ct);

    /// <summary>Moves (or creates) an alias whatever it points at, keeping the previous version for rollback.</summary>
    public Task SetAliasAsync(string model, string alias, int version, DateTimeOffset now, Actor? actor = null, CancellationToken ct = default) =>
        MoveAliasAsync(model, alias, version, AliasGuard.None, actor ?? Actor.Lifecycle, now, ct: ct);

    /// <summary>Points an alias back at the version it pointed at before its last move; returns that version.</summary>
    /// <exception cref="InvalidOperationException">The alias does not exist or was never moved.</exception>
    public async Task<int> RollbackAliasAsync(string model, string alias, DateTimeOffset now, Actor? actor = null, CancellationToken ct = default)
    {
        while (true)
        {
            if (await GetAliasAsync(model, alias, ct) is not { Previous: { } previous } current)
            {
                throw new InvalidOperationException($"Alias '{alias}' of '{model}' has no previous version to roll back to.");
            }

            var move = await MoveAliasAsync(model, alias, previous, AliasGuard.IfMatch(current.ETag), actor ?? Actor.Lifecycle, now, DeploymentActions.Rollback, ct);
            if (move.Outcome != AliasMoveOutcome.Conflict)
            {
                return previous;
            }
        }
    }

    /// <summary>
    /// Deletes an alias, with its history row, in one transaction, if it still points at <paramref name="expected"/>;
    /// true when the alias is gone afterwards (also when it did not exist).
    /// </summary>
    public async Task<bool> TryRemoveAliasAsync(string model, string alias, int expected, Actor actor, DateTimeOffset now, CancellationToken ct = default)
    {
        if (await GetAliasAsync(model, alias, ct) is not { } current)
        {
            return true;
        }

        if (current.Version != expected)
        {
            return false;
        }

        var change = new DeploymentChange(model, DeploymentActions.Remove, alias, current.Version, null, actor.By, actor.Reason, now, "removed");
        try
        {
            await Aliases.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(model, alias), new ETag(current.ETag)),
                    new TableTransactionAction(TableTransactionActionType.Add, History(change)),
                ],
                ct);
            Publish(change);
            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 404 or 409 or 412)
        {
            // Moved or removed meanwhile: gone only if nobody recreated it.
            return await GetAliasAsync(model, alias, ct) is null;
        }
    }

    public async Task<TrafficSplit?> GetTrafficAsync(string model, CancellationToken ct = default)
    {
        var row = await Aliases.GetEntityIfExistsAsync<TableEntity>(model, TrafficKey, cancellationToken: ct);
        return row.HasValue ? ToTraffic(row.Value!) : null;
    }

    /// <summary>Sets (or, with null, clears) the traffic split, with its history row, in one transaction; the split it already has changes nothing.</summary>
    public async Task SetTrafficAsync(string model, TrafficSplit? traffic, Actor actor, DateTimeOffset now, CancellationToken ct = default)
    {
        var detail = traffic is null ? "cleared" : JsonSerializer.Serialize(traffic, LifecycleJson.Compact);
        var change = new DeploymentChange(model, DeploymentActions.Traffic, null, null, null, actor.By, actor.Reason, now, detail);
        TableTransactionAction write = traffic is null
            ? new(TableTransactionActionType.Delete, new TableEntity(model, TrafficKey), ETag.All)
            : new(TableTransactionActionType.UpsertReplace, new TableEntity(model, TrafficKey)
            {
                ["Weights"] = JsonSerializer.Serialize(traffic.Weights, LifecycleJson.Compact),
                ["Shadow"] = traffic.Shadow,
                ["UpdatedAt"] = now,
                ["UpdatedBy"] = actor.By,
                ["Reason"] = actor.Reason,
            });
        // Setting the split it has changes nothing (and keeps its start), so an activity run twice records one change.
        var current = await GetTrafficAsync(model, ct);
        if (traffic is null ? current is null : current is not null && current.Shadow == traffic.Shadow && current.Weights.Count == traffic.Weights.Count && !current.Weights.Except(traffic.Weights).Any())
        {
            return;
        }

        await Aliases.SubmitTransactionAsync([write, new TableTransactionAction(TableTransactionActionType.Add, History(change))], ct);
        Publish(change);
    }

    /// <summary>Sets a version's stage (candidate, approved, archived) and records the change in the history; the stage it already has changes nothing.</summary>
    public async Task SetStageAsync(string model, int version, string stage, Actor actor, DateTimeOffset now, CancellationToken ct = default)
    {
        // Setting the stage it has changes nothing, so an activity run twice records one change.
        if (await Models.GetEntityIfExistsAsync<TableEntity>(model, VersionKey(version), ["Stage"], ct) is { HasValue: true } row && row.Value!.GetString("Stage") == stage)
        {
            return;
        }

        await Models.UpdateEntityAsync(new TableEntity(model, VersionKey(version)) { ["Stage"] = stage }, ETag.All, TableUpdateMode.Merge, ct);
        var change = new DeploymentChange(model, stage, null, null, version, actor.By, actor.Reason, now);
        await Aliases.AddEntityAsync(History(change), ct);
        Publish(change);
    }

    /// <summary>Deployment changes of a model, newest first.</summary>
    public async Task<IReadOnlyList<DeploymentChange>> ListHistoryAsync(string model, int max = 1000, CancellationToken ct = default)
    {
        List<DeploymentChange> changes = [];
        await foreach (var row in Aliases.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {model} and RowKey ge {HistoryPrefix} and RowKey lt {"~history."}"), cancellationToken: ct))
        {
            changes.Add(new DeploymentChange(
                model,
                row.GetString("Action") ?? "",
                row.GetString("Alias"),
                row.GetInt32("From"),
                row.GetInt32("To"),
                row.GetString("By") ?? "",
                row.GetString("Reason"),
                row.GetDateTimeOffset("At") ?? default,
                row.GetString("Detail")));
            if (changes.Count == max)
            {
                break;
            }
        }

        return changes;
    }

    /// <summary>The state of the model's champion-vs-challenger test, as JSON (null when none was evaluated).</summary>
    public async Task<string?> GetExperimentStateAsync(string model, CancellationToken ct = default)
    {
        var row = await Aliases.GetEntityIfExistsAsync<TableEntity>(model, ExperimentKey, cancellationToken: ct);
        return row.HasValue ? row.Value!.GetString("State") : null;
    }

    public Task SetExperimentStateAsync(string model, string state, CancellationToken ct = default) =>
        Aliases.UpsertEntityAsync(new TableEntity(model, ExperimentKey) { ["State"] = state }, TableUpdateMode.Replace, ct);

    /// <summary>Records a change that has no row of its own (an A/B test's decision) in the history and sends its event.</summary>
    public async Task RecordAsync(DeploymentChange change, CancellationToken ct = default)
    {
        await Aliases.AddEntityAsync(History(change), ct);
        Publish(change);
    }

    /// <summary>Sends a change to the event sink (log and webhook); never fails the change itself.</summary>
    private void Publish(DeploymentChange change) => events?.Publish(change);

    /// <summary>A history row: newest first by key, a random suffix so two changes in one tick both stay.</summary>
    private static TableEntity History(DeploymentChange change) =>
        new(change.Model, $"{HistoryPrefix}{(DateTimeOffset.MaxValue.UtcTicks - change.At.UtcTicks).ToString("D19", CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}")
        {
            ["Action"] = change.Action,
            ["Alias"] = change.Alias,
            ["From"] = change.From,
            ["To"] = change.To,
            ["By"] = change.By,
            ["Reason"] = change.Reason,
            ["At"] = change.At,
            ["Detail"] = change.Detail,
        };

    private static AliasState ToAlias(TableEntity row) => new(
        row.RowKey,
        row.GetInt32("Version") ?? 0,
        row.GetInt32("Previous"),
        row.ETag.ToString(),
        row.GetDateTimeOffset("UpdatedAt") ?? default,
        row.GetString("UpdatedBy"),
        row.GetString("Reason"));

    private static TrafficSplit ToTraffic(TableEntity row) => new(
        row.GetString("Weights") is { } weights ? LifecycleJson.Deserialize<Dictionary<string, int>>(weights) : [],
        row.GetInt32("Shadow"))
    {
        SetAt = row.GetDateTimeOffset("UpdatedAt") ?? default,
        SetBy = row.GetString("UpdatedBy"),
    };
}
