namespace MlLifecycle.Storage;

/// <summary>A registered model version: what was trained, on what, and how well (the <c>models</c> table).</summary>
public sealed record ModelVersion(
    string Model,
    int Version,
    string Status,
    string RunId,
    string Task,
    string Label,
    string Trainer,
    IReadOnlyDictionary<string, double> Metrics,
    string ArtifactSha256,
    string DataSha256,
    string Dataset,
    int Rows,
    int Seed,
    string CodeVersion,
    DateTimeOffset CreatedAt,
    string? PrimaryMetric = null,
    GateRecord? Gate = null)
{
    /// <summary>Where the version is in its life: <see cref="VersionStages"/>.</summary>
    public string Stage { get; init; } = VersionStages.Candidate;

    /// <summary>
    /// SHA-256 of <c>evaluated.zip</c>, the model the test split measured, when the served <c>model.zip</c> is that
    /// configuration refit on every row; null when the served model is the evaluated one.
    /// </summary>
    public string? EvaluatedSha256 { get; init; }

    /// <summary>How the version's run split its rows (<c>ValidationPlan.DescribeSplit</c>); null for versions registered before splits were hash-stable.</summary>
    public string? Split { get; init; }
}

/// <summary>A registered version is a candidate until approved (by the gate's promotion or a person); an archived version is never served.</summary>
public static class VersionStages
{
    public const string Candidate = "candidate";
    public const string Approved = "approved";
    public const string Archived = "archived";

    public static readonly string[] All = [Candidate, Approved, Archived];
}

/// <summary>The champion gate's decision recorded on a version.</summary>
public sealed record GateRecord(bool Passed, string Reason);

/// <summary>The outcome of one lifecycle run (the <c>runs</c> table).</summary>
public sealed record RunRecord(
    string RunId,
    string Model,
    string Status,
    string Dataset,
    int? Version,
    string? Task,
    IReadOnlyDictionary<string, double>? Metrics,
    string? Message,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt);

public static class VersionStatus
{
    /// <summary>Version number taken by a run whose artifacts are still being written; never served.</summary>
    public const string Pending = "Pending";
    public const string Registered = "Registered";
}

/// <summary>One tuning trial as recorded in the <c>trials</c> table (score is higher-is-better).</summary>
public sealed record TuningTrialRecord(int Id, string Trainer, IReadOnlyDictionary<string, double> Options, double Resource, double? Score, double Seconds, int Executions, DateTimeOffset RecordedAt, string? Error = null);
