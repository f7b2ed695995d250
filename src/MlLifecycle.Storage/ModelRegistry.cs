using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MlLifecycle.Core;
using MlLifecycle.Core.Evaluation;

namespace MlLifecycle.Storage;

/// <summary>
/// The model registry in Table storage: <c>models</c> (PK model, RK zero-padded version), <c>aliases</c>
/// (PK model, RK alias, plus the model's traffic split and deployment history: see ModelRegistry.Deployment.cs) and
/// <c>runs</c> (PK model, RK run id). Version numbers are taken with create-only inserts, so concurrent runs never
/// share one; aliases move with ETag-guarded writes.
/// </summary>
public sealed partial class ModelRegistry(TableServiceClient service, RegistryEvents? events = null)
{
    public const string ModelsTable = "models";
    public const string AliasesTable = "aliases";
    public const string RunsTable = "runs";
    public const string TrialsTable = "trials";
    public const string Champion = "champion";

    /// <summary>A version's evaluated model, next to the served <c>model.zip</c> when that is a refit on every row (<see cref="ModelVersion.EvaluatedSha256"/>).</summary>
    public const string EvaluatedModelFile = "evaluated.zip";

    private TableClient Models => service.GetTableClient(ModelsTable);

    private TableClient Aliases => service.GetTableClient(AliasesTable);

    private TableClient Runs => service.GetTableClient(RunsTable);

    private TableClient Trials => service.GetTableClient(TrialsTable);

    public static string VersionKey(int version) => version.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    public async Task EnsureTablesAsync(CancellationToken ct = default)
    {
        foreach (var name in new[] { ModelsTable, AliasesTable, RunsTable, TrialsTable, DriftTable })
        {
            await service.GetTableClient(name).CreateIfNotExistsAsync(ct);
        }
    }

    /// <summary>
    /// Takes the next version number for a run, or returns the one the run already holds (activities run at least once).
    /// </summary>
    public async Task<int> ReserveVersionAsync(string model, string runId, DateTimeOffset now, CancellationToken ct = default)
    {
        while (true)
        {
            var max = 0;
            await foreach (var row in Models.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {model}"), select: ["RowKey", "RunId", "Version"], cancellationToken: ct))
            {
                var version = row.GetInt32("Version") ?? 0;
                if (row.GetString("RunId") == runId)
                {
                    return version;
                }

                max = Math.Max(max, version);
            }

            var entity = new TableEntity(model, VersionKey(max + 1))
            {
                ["Version"] = max + 1,
                ["RunId"] = runId,
                ["Status"] = VersionStatus.Pending,
                ["CreatedAt"] = now,
            };
            try
            {
                await Models.AddEntityAsync(entity, ct);
                return max + 1;
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // Another run took this number between our read and our insert: read again.
            }
        }
    }

    /// <summary>Fills in a reserved version and marks it registered; only the run that reserved it may do so.</summary>
    public async Task CompleteVersionAsync(ModelVersion version, CancellationToken ct = default)
    {
        var current = await Models.GetEntityAsync<TableEntity>(version.Model, VersionKey(version.Version), cancellationToken: ct);
        if (current.Value.GetString("RunId") != version.RunId)
        {
            throw new InvalidOperationException($"Version {version.Version} of '{version.Model}' belongs to run {current.Value.GetString("RunId")}, not {version.RunId}.");
        }

        var entity = new TableEntity(version.Model, VersionKey(version.Version))
        {
            ["Version"] = version.Version,
            ["Status"] = VersionStatus.Registered,
            ["RunId"] = version.RunId,
            ["Task"] = version.Task,
            ["Label"] = version.Label,
            ["Trainer"] = version.Trainer,
            ["Metrics"] = JsonSerializer.Serialize(version.Metrics, LifecycleJson.Compact),
            ["ArtifactSha256"] = version.ArtifactSha256,
            ["EvaluatedSha256"] = version.EvaluatedSha256,
            ["Split"] = version.Split,
            ["DataSha256"] = version.DataSha256,
            ["Dataset"] = version.Dataset,
            ["Rows"] = version.Rows,
            ["Seed"] = version.Seed,
            ["CodeVersion"] = version.CodeVersion,
            ["CreatedAt"] = version.CreatedAt,
            ["PrimaryMetric"] = version.PrimaryMetric,
            ["GatePassed"] = version.Gate?.Passed,
            ["GateReason"] = version.Gate?.Reason,
            ["Stage"] = version.Stage,
        };
        await Models.UpdateEntityAsync(entity, current.Value.ETag, TableUpdateMode.Replace, ct);
        Publish(new DeploymentChange(version.Model, DeploymentActions.Register, null, null, version.Version, Actor.Lifecycle.By, $"run {version.RunId}", version.CreatedAt));
    }

    /// <summary>Registered versions of a model, oldest first (pending reservations are not listed).</summary>
    public async Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string model, CancellationToken ct = default)
    {
        List<ModelVersion> versions = [];
        await foreach (var row in Models.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {model} and Status eq {VersionStatus.Registered}"), cancellationToken: ct))
        {
            versions.Add(ToVersion(row));
        }

        return versions;
    }

    public async Task<ModelVersion?> GetVersionAsync(string model, int version, CancellationToken ct = default)
    {
        var row = await Models.GetEntityIfExistsAsync<TableEntity>(model, VersionKey(version), cancellationToken: ct);
        return row.HasValue && row.Value!.GetString("Status") == VersionStatus.Registered ? ToVersion(row.Value) : null;
    }

    /// <summary>
    /// Version <paramref name="version"/>, or else the one <paramref name="alias"/> (default <c>champion</c>) points at
    /// now; null when there is none (<see cref="DescribeMissingAsync"/> says why).
    /// </summary>
    public async Task<ModelVersion?> FindVersionAsync(string model, string? alias, int? version, CancellationToken ct = default) =>
        (version ?? await ResolveAliasAsync(model, alias ?? Champion, ct)) is { } number ? await GetVersionAsync(model, number, ct) : null;

    /// <summary>Why no version was found: no such model, or no such version or alias of it.</summary>
    public async Task<string> DescribeMissingAsync(string model, string? alias, int? version, CancellationToken ct = default) =>
        (await ListVersionsAsync(model, ct)).Count == 0 ? NoSuchModel(model)
        : version is { } number ? $"Model '{model}' has no version {number}."
        : $"Model '{model}' has no '{alias ?? Champion}' version.";

    public static string NoSuchModel(string model) => $"No model named '{model}' exists.";

    /// <summary>Names of models with at least one registered version.</summary>
    public async Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken ct = default)
    {
        SortedSet<string> names = new(StringComparer.Ordinal);
        await foreach (var row in Models.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Status eq {VersionStatus.Registered}"), select: ["PartitionKey"], cancellationToken: ct))
        {
            names.Add(row.PartitionKey);
        }

        return [.. names];
    }

    /// <summary>Records one cross-validation fold of a run (<c>trials</c>: PK run id, RK trainer-fold); repeat-safe.</summary>
    public Task RecordTrialAsync(string runId, string model, FoldResult result, DateTimeOffset now, CancellationToken ct = default) =>
        Trials.UpsertEntityAsync(
            new TableEntity(runId, $"{result.Trainer}-{result.Fold:D3}")
            {
                ["Model"] = model,
                ["Trainer"] = result.Trainer,
                ["Fold"] = result.Fold,
                ["TrainRows"] = result.TrainRows,
                ["ValidationRows"] = result.ValidationRows,
                ["Metrics"] = JsonSerializer.Serialize(result.Metrics, LifecycleJson.Compact),
                ["Seconds"] = result.Seconds,
                ["Error"] = result.Error,
                ["RecordedAt"] = now,
            },
            TableUpdateMode.Replace,
            ct);

    /// <summary>Records one tuning trial (<c>trials</c>: PK run id, RK <c>tune-{id}</c>); counts executions, so a re-run shows.</summary>
    public async Task RecordTuningTrialAsync(string runId, string model, string trainer, int id, IReadOnlyDictionary<string, double> options, double resource, double score, IReadOnlyDictionary<string, double> metrics, double seconds, string? error, DateTimeOffset now, CancellationToken ct = default)
    {
        var key = $"tune-{id:D4}";
        var existing = await Trials.GetEntityIfExistsAsync<TableEntity>(runId, key, cancellationToken: ct);
        await Trials.UpsertEntityAsync(
            new TableEntity(runId, key)
            {
                ["Model"] = model,
                ["Trainer"] = trainer,
                ["Trial"] = id,
                ["Options"] = JsonSerializer.Serialize(options, LifecycleJson.Compact),
                ["Resource"] = resource,
                ["Score"] = double.IsFinite(score) && score > double.MinValue ? score : null, // MinValue: ranked last (failed, or no metric)
                ["Metrics"] = JsonSerializer.Serialize(metrics, LifecycleJson.Compact),
                ["Seconds"] = seconds,
                ["Error"] = error,
                ["Executions"] = (existing.HasValue ? existing.Value!.GetInt32("Executions") ?? 0 : 0) + 1,
                ["RecordedAt"] = now,
            },
            TableUpdateMode.Replace,
            ct);
    }

    /// <summary>Tuning trials of a run, in id order.</summary>
    public async Task<IReadOnlyList<TuningTrialRecord>> ListTuningTrialsAsync(string runId, CancellationToken ct = default)
    {
        List<TuningTrialRecord> trials = [];
        await foreach (var row in Trials.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {"tune-"} and RowKey lt {"tune."}"), cancellationToken: ct))
        {
            trials.Add(new TuningTrialRecord(
                row.GetInt32("Trial") ?? 0,
                row.GetString("Trainer") ?? "",
                row.GetString("Options") is { } options ? LifecycleJson.Deserialize<Dictionary<string, double>>(options) : [],
                row.GetDouble("Resource") ?? 0,
                row.GetDouble("Score"),
                row.GetDouble("Seconds") ?? 0,
                row.GetInt32("Executions") ?? 0,
                row.GetDateTimeOffset("RecordedAt") ?? default,
                row.GetString("Error")));
        }

        return [.. trials.OrderBy(t => t.Id)];
    }

    public async Task<IReadOnlyList<FoldResult>> ListTrialsAsync(string runId, CancellationToken ct = default)
    {
        List<FoldResult> trials = [];
        await foreach (var row in Trials.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {runId} and Fold ge {0}"), cancellationToken: ct))
        {
            trials.Add(new FoldResult(row.GetString("Trainer") ?? "", row.GetInt32("Fold") ?? 0, row.GetInt32("TrainRows") ?? 0, row.GetInt32("ValidationRows") ?? 0, Metrics(row), row.GetDouble("Seconds") ?? 0, row.GetString("Error")));
        }

        return trials;
    }

    public Task RecordRunAsync(RunRecord run, CancellationToken ct = default) =>
        Runs.UpsertEntityAsync(
            new TableEntity(run.Model, run.RunId)
            {
                ["Status"] = run.Status,
                ["Dataset"] = run.Dataset,
                ["Version"] = run.Version,
                ["Task"] = run.Task,
                ["Metrics"] = run.Metrics is null ? null : JsonSerializer.Serialize(run.Metrics, LifecycleJson.Compact),
                ["Message"] = run.Message,
                ["StartedAt"] = run.StartedAt,
                ["FinishedAt"] = run.FinishedAt,
            },
            TableUpdateMode.Replace,
            ct);

    public async Task<IReadOnlyList<RunRecord>> ListRunsAsync(string model, CancellationToken ct = default)
    {
        List<RunRecord> runs = [];
        await foreach (var row in Runs.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {model}"), cancellationToken: ct))
        {
            runs.Add(new RunRecord(
                row.RowKey,
                row.PartitionKey,
                row.GetString("Status") ?? "",
                row.GetString("Dataset") ?? "",
                row.GetInt32("Version"),
                row.GetString("Task"),
                Metrics(row),
                row.GetString("Message"),
                row.GetDateTimeOffset("StartedAt") ?? default,
                row.GetDateTimeOffset("FinishedAt") ?? default));
        }

        return [.. runs.OrderBy(r => r.StartedAt)];
    }

    private static Dictionary<string, double> Metrics(TableEntity row) =>
        row.GetString("Metrics") is { } json ? LifecycleJson.Deserialize<Dictionary<string, double>>(json) : [];

    private static ModelVersion ToVersion(TableEntity row) => new(
        row.PartitionKey,
        row.GetInt32("Version") ?? 0,
        row.GetString("Status") ?? "",
        row.GetString("RunId") ?? "",
        row.GetString("Task") ?? "",
        row.GetString("Label") ?? "",
        row.GetString("Trainer") ?? "",
        Metrics(row),
        row.GetString("ArtifactSha256") ?? "",
        row.GetString("DataSha256") ?? "",
        row.GetString("Dataset") ?? "",
        row.GetInt32("Rows") ?? 0,
        row.GetInt32("Seed") ?? 0,
        row.GetString("CodeVersion") ?? "",
        row.GetDateTimeOffset("CreatedAt") ?? default,
        row.GetString("PrimaryMetric"),
        row.GetBoolean("GatePassed") is { } passed ? new GateRecord(passed, row.GetString("GateReason") ?? "") : null)
    {
        Stage = row.GetString("Stage") ?? VersionStages.Candidate,
        EvaluatedSha256 = row.GetString("EvaluatedSha256"),
        Split = row.GetString("Split"),
    };
}
