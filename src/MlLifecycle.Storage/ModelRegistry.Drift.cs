using System.Text.Json;
using Azure.Data.Tables;
using MlLifecycle.Core;

namespace MlLifecycle.Storage;

/// <summary>One drift check of a model version, as the <c>drift</c> table keeps it; the full report is the blob <see cref="Report"/>.</summary>
/// <param name="CheckId">Unique per model: <c>window-{start}</c> for a scheduled window (each is checked once), <c>data-…</c> or <c>log-…</c> on demand.</param>
/// <param name="Source"><c>log</c> (a window of the prediction log) or <c>data</c> (a CSV).</param>
/// <param name="Concept"><c>ok</c>, <c>degraded</c> or <c>awaiting-labels</c>.</param>
public sealed record DriftCheckRecord(
    string Model,
    string CheckId,
    int Version,
    string Source,
    string? Data,
    DateTimeOffset? WindowStart,
    DateTimeOffset? WindowEnd,
    long Rows,
    bool Drifted,
    IReadOnlyList<string> DriftedFeatures,
    bool PredictionDrifted,
    string Concept,
    string Report,
    DateTimeOffset CheckedAt);

/// <summary>The <c>drift</c> table: PK model, RK check id.</summary>
public sealed partial class ModelRegistry
{
    public const string DriftTable = "drift";

    private TableClient Drift => service.GetTableClient(DriftTable);

    /// <summary>Writes a check (a replay of the same check replaces its row with the same content).</summary>
    public Task RecordDriftCheckAsync(DriftCheckRecord check, CancellationToken ct = default) =>
        Drift.UpsertEntityAsync(
            new TableEntity(check.Model, check.CheckId)
            {
                ["Version"] = check.Version,
                ["Source"] = check.Source,
                ["Data"] = check.Data,
                ["WindowStart"] = check.WindowStart,
                ["WindowEnd"] = check.WindowEnd,
                ["Rows"] = check.Rows,
                ["Drifted"] = check.Drifted,
                ["DriftedFeatures"] = JsonSerializer.Serialize(check.DriftedFeatures, LifecycleJson.Compact),
                ["PredictionDrifted"] = check.PredictionDrifted,
                ["Concept"] = check.Concept,
                ["Report"] = check.Report,
                ["CheckedAt"] = check.CheckedAt,
            },
            TableUpdateMode.Replace,
            ct);

    /// <summary>A model's checks, newest first.</summary>
    public async Task<IReadOnlyList<DriftCheckRecord>> ListDriftChecksAsync(string model, CancellationToken ct = default)
    {
        List<DriftCheckRecord> checks = [];
        await foreach (var row in Drift.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {model}"), cancellationToken: ct))
        {
            checks.Add(new DriftCheckRecord(
                row.PartitionKey,
                row.RowKey,
                row.GetInt32("Version") ?? 0,
                row.GetString("Source") ?? "",
                row.GetString("Data"),
                row.GetDateTimeOffset("WindowStart"),
                row.GetDateTimeOffset("WindowEnd"),
                row.GetInt64("Rows") ?? 0,
                row.GetBoolean("Drifted") ?? false,
                row.GetString("DriftedFeatures") is { } features ? LifecycleJson.Deserialize<List<string>>(features) : [],
                row.GetBoolean("PredictionDrifted") ?? false,
                row.GetString("Concept") ?? "",
                row.GetString("Report") ?? "",
                row.GetDateTimeOffset("CheckedAt") ?? default));
        }

        return [.. checks.OrderByDescending(c => c.CheckedAt)];
    }

    private const string RetrainKey = "~retrain";

    /// <summary>
    /// Takes the model's retraining lock for <paramref name="holder"/> until <paramref name="until"/> (a holder that
    /// never releases it loses it then). True when the holder has it; false when another live holder does.
    /// </summary>
    public async Task<bool> TryClaimRetrainAsync(string model, string holder, DateTimeOffset until, DateTimeOffset now, CancellationToken ct = default)
    {
        var entity = new TableEntity(model, RetrainKey) { ["Holder"] = holder, ["Until"] = until };
        var current = await Aliases.GetEntityIfExistsAsync<TableEntity>(model, RetrainKey, cancellationToken: ct);
        try
        {
            if (!current.HasValue)
            {
                await Aliases.AddEntityAsync(entity, ct);
                return true;
            }

            var row = current.Value!;
            if (row.GetString("Holder") == holder)
            {
                return true;
            }

            if (row.GetDateTimeOffset("Until") > now)
            {
                return false;
            }

            await Aliases.UpdateEntityAsync(entity, row.ETag, TableUpdateMode.Replace, ct);
            return true;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Claimed between the read and the write: by another holder, or by a repeat of this very claim.
            var winner = await Aliases.GetEntityIfExistsAsync<TableEntity>(model, RetrainKey, cancellationToken: ct);
            return winner.HasValue && winner.Value!.GetString("Holder") == holder;
        }
    }

    /// <summary>Releases the retraining lock if <paramref name="holder"/> has it.</summary>
    public async Task ReleaseRetrainAsync(string model, string holder, CancellationToken ct = default)
    {
        var current = await Aliases.GetEntityIfExistsAsync<TableEntity>(model, RetrainKey, cancellationToken: ct);
        if (current.HasValue && current.Value!.GetString("Holder") == holder)
        {
            try
            {
                await Aliases.DeleteEntityAsync(model, RetrainKey, current.Value.ETag, ct);
            }
            catch (Azure.RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                // Released or taken over meanwhile.
            }
        }
    }
}
