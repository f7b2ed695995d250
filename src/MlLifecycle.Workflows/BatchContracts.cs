using MlLifecycle.Core.Data;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>Input of the batch scoring orchestration.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Input">The file to score (<c>.csv</c>, <c>.csv.gz</c> or <c>.parquet</c>), as <c>{container}/{blob}</c>.</param>
/// <param name="ETag">The input blob version the job is for; a replaced blob is not read by this job.</param>
/// <param name="Version">The version to score with; null = the version <paramref name="Alias"/> points at when the job starts.</param>
/// <param name="Alias">Alias to resolve (once, at the start) when no version is given; null = <c>champion</c>.</param>
public sealed record BatchRequest(string Model, string Input, string? ETag = null, int? Version = null, string? Alias = null);

/// <summary>What every step of a batch job works on: its id, its request and where its files go.</summary>
public sealed record BatchJob(string JobId, BatchRequest Request)
{
    public string Model => Request.Model;

    /// <summary>Working folder of the job inside the <c>artifacts</c> container (its input, split into chunks).</summary>
    public string Folder => $"{Model}/batch/{JobId}";

    /// <summary>Rows <c>[first, first + rows)</c> of the input, as CSV with the input's header.</summary>
    public string ChunkBlob(int index) => $"{Folder}/chunk-{index:D5}.csv";

    /// <summary>The input's format, from its name (CSV unless it names another one).</summary>
    public TableFormat Format => TableReader.FormatOf(Request.Input) ?? TableFormat.Csv;

    /// <summary>A chunk scored, as CSV, when the output is Parquet (written whole at the end, not staged in parts).</summary>
    public string ScoredBlob(int index) => $"{Folder}/scored-{index:D5}.csv";

    /// <summary>The predictions, inside the <c>predictions</c> container, in the input's format.</summary>
    public string OutputBlob => $"{Model}/{JobId}{Format switch { TableFormat.Parquet => ".parquet", TableFormat.CsvGzip => ".csv.gz", _ => ".csv" }}";

    /// <summary>The predictions as <c>predictions/{model}/{jobId}.csv</c> (<c>.csv.gz</c>, <c>.parquet</c> for such inputs).</summary>
    public string Output => $"{ArtifactStore.Predictions}/{OutputBlob}";
}

/// <summary>
/// The plan of a job: the version it scores with (pinned), the input's rows per chunk, how many chunks are scored at
/// once, and what the input check found. <paramref name="Error"/> says why the input cannot be scored (nothing is).
/// </summary>
public sealed record BatchPlan(int? Version, int Rows, IReadOnlyList<int> ChunkRows, int MaxConcurrency, IReadOnlyList<Anomaly> Anomalies, string? Error = null);

/// <summary>One chunk to score: a fan-out activity's input.</summary>
/// <param name="Job">The job.</param>
/// <param name="Version">The pinned model version.</param>
/// <param name="Index">The chunk (0 = the first rows; its output carries the header).</param>
/// <param name="FirstRow">Index of its first row in the input.</param>
/// <param name="Rows">Rows in the chunk.</param>
public sealed record BatchChunk(BatchJob Job, int Version, int Index, int FirstRow, int Rows);

public sealed record BatchChunkResult(int Index, int Rows, double Seconds);

/// <summary>The scored chunks to join into the job's output.</summary>
public sealed record BatchOutputInput(BatchJob Job, int Chunks);

/// <summary>Where a job stands (the orchestration's custom status): chunks and rows scored so far.</summary>
public sealed record BatchProgress(string Stage, int? Version, int ChunksDone, int Chunks, long RowsScored, long Rows);

/// <summary>Output of the batch scoring orchestration.</summary>
/// <param name="Status"><see cref="RunStatus.Succeeded"/> or <see cref="RunStatus.Failed"/> (with <paramref name="Message"/>).</param>
/// <param name="Anomalies">What the input check found (the job scores despite them; a missing column the model reads fails it).</param>
public sealed record BatchResult(
    string JobId,
    string Model,
    string Status,
    string Input,
    int? Version = null,
    int Rows = 0,
    int Chunks = 0,
    string? Output = null,
    string? Message = null,
    IReadOnlyList<Anomaly>? Anomalies = null,
    DateTimeOffset StartedAt = default,
    DateTimeOffset FinishedAt = default);
