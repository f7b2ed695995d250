using System.Text.Json.Serialization;

namespace MlLifecycle.Core.Data;

[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    /// <summary>Recorded in the report; the run goes on.</summary>
    Warning,

    /// <summary>The dataset is rejected (and a copy quarantined when the file is at fault).</summary>
    Error,
}

/// <summary>A data problem (TFDV / Deequ style): a stable code, the column, how many cells or rows, and examples.</summary>
/// <param name="Code">Stable code, see <see cref="AnomalyCodes"/>.</param>
/// <param name="Column">Column concerned, or null for the whole file.</param>
/// <param name="Count">Offending cells or rows.</param>
/// <param name="Severity">Error rejects the dataset.</param>
/// <param name="Message">What is wrong, for people.</param>
/// <param name="Rows">First offending data rows (1 = first row after the header), at most five.</param>
public sealed record Anomaly(string Code, string? Column, int Count, Severity Severity, string Message, IReadOnlyList<int>? Rows = null)
{
    public const int MaxExampleRows = 5;

    public static Anomaly Error(string code, string? column, string message, int count = 1, IReadOnlyList<int>? rows = null) =>
        new(code, column, count, Severity.Error, message, rows);

    public static Anomaly Warning(string code, string? column, string message, int count = 1, IReadOnlyList<int>? rows = null) =>
        new(code, column, count, Severity.Warning, message, rows);

    public static Anomaly From(DataValidationException ex) => Error(ex.Code, ex.Column, ex.Message, ex.Count);
}
