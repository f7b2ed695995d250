using MlLifecycle.Core.Data;

namespace MlLifecycle.Workflows;

/// <summary>Input of the training orchestration.</summary>
/// <param name="Model">Model name (see <see cref="Core.ModelName"/>).</param>
/// <param name="Dataset">Blob name inside the <c>datasets</c> container, e.g. <c>credit/credit-g.csv</c>.</param>
/// <param name="Label">Label column; null = blob metadata <c>label</c>, else the last column.</param>
/// <param name="Seed">Seed for the split and the trainer; recorded on the version.</param>
public sealed record TrainingRequest(string Model, string Dataset, string? Label = null, int Seed = TrainingRequest.DefaultSeed)
{
    public const int DefaultSeed = 42;
}

/// <summary>What every stage of one run works on: the run id and the files of its working folder.</summary>
public sealed record RunContext(string RunId, string Model, string Dataset, string? Label, int Seed)
{
    /// <summary>Working folder of the run inside the <c>artifacts</c> container.</summary>
    public string Folder => $"{Model}/runs/{RunId}";

    public string DataBlob => $"{Folder}/data.csv";

    public string SchemaBlob => $"{Folder}/schema.json";

    public string SplitBlob => $"{Folder}/split.json";

    public string ModelBlob => $"{Folder}/model.zip";
}

public sealed record Anomaly(string Code, string? Column, int Count, string Severity, string Message);

public sealed record ValidationOutcome(
    bool Accepted,
    MlTask? Task,
    string? Label,
    int Rows,
    int Columns,
    string? DataSha256,
    IReadOnlyList<Anomaly> Anomalies);

public sealed record QuarantineInput(RunContext Run, IReadOnlyList<Anomaly> Anomalies);

public sealed record SplitOutcome(int Train, int Validation, int Test);

public sealed record TrainOutcome(string Trainer, string ModelSha256, double Seconds);

public sealed record EvaluationOutcome(Dictionary<string, double> Test, Dictionary<string, double> Validation);

public sealed record RegisterInput(RunContext Run, ValidationOutcome Data, TrainOutcome Training, EvaluationOutcome Evaluation);

public sealed record PromoteInput(string Model, int Version);

/// <summary>Progress shown while a run is going (the orchestration's custom status).</summary>
public sealed record RunProgress(string Stage, int Step, int Steps);

public static class RunStatus
{
    public const string Succeeded = "Succeeded";
    public const string Rejected = "Rejected";
    public const string Failed = "Failed";
}

/// <summary>Output of the training orchestration.</summary>
public sealed record RunResult(
    string RunId,
    string Model,
    string Status,
    string Dataset,
    MlTask? Task = null,
    int? Version = null,
    bool Champion = false,
    Dictionary<string, double>? Metrics = null,
    string? Message = null,
    IReadOnlyList<Anomaly>? Anomalies = null,
    DateTimeOffset StartedAt = default,
    DateTimeOffset FinishedAt = default);
