using System.Text.Json.Serialization;

namespace MlLifecycle.Core.Data;

[JsonConverter(typeof(JsonStringEnumConverter<ColumnKind>))]
public enum ColumnKind
{
    Numeric,
    Categorical,
    Boolean,
    Text,
    DateTime,
}

[JsonConverter(typeof(JsonStringEnumConverter<MlTask>))]
public enum MlTask
{
    BinaryClassification,
    MulticlassClassification,
    Regression,
}

/// <summary>What was seen of one column in the training data: its kind and domain.</summary>
/// <param name="Name">Column name as in the CSV header.</param>
/// <param name="Kind">Inferred (or declared) kind.</param>
/// <param name="Missing">Cells that were empty or an NA marker.</param>
/// <param name="Distinct">Distinct present values.</param>
/// <param name="Min">Smallest value (numeric columns).</param>
/// <param name="Max">Largest value (numeric columns).</param>
/// <param name="Categories">Values seen, most frequent first, at most <see cref="SchemaInference.MaxCategoriesRecorded"/> (categorical and boolean columns).</param>
/// <param name="Ignored">Why the column is not used as a feature, or null when it is.</param>
public sealed record ColumnSchema(
    string Name,
    ColumnKind Kind,
    int Missing,
    int Distinct,
    double? Min,
    double? Max,
    IReadOnlyList<string>? Categories,
    string? Ignored = null)
{
    [JsonIgnore]
    public bool Nullable => Missing > 0;

    /// <summary>True when <see cref="Categories"/> lists every value seen, so an unseen value is really new.</summary>
    [JsonIgnore]
    public bool CategoriesComplete => Categories is not null && Categories.Count == Distinct;
}

/// <summary>The schema stored with every model version as <c>schema.json</c>.</summary>
/// <param name="Rows">Rows with a label.</param>
/// <param name="Label">The label column.</param>
/// <param name="Task">The learning task.</param>
/// <param name="Classes">Class values in key order (classification only).</param>
/// <param name="PositiveClass">The class treated as positive (binary only).</param>
/// <param name="Columns">Every non-label column, used or ignored.</param>
public sealed record DatasetSchema(
    int Rows,
    ColumnSchema Label,
    MlTask Task,
    IReadOnlyList<string>? Classes,
    string? PositiveClass,
    IReadOnlyList<ColumnSchema> Columns)
{
    [JsonIgnore]
    public IReadOnlyList<ColumnSchema> Features => Columns.Where(c => c.Ignored is null).ToList();

    [JsonIgnore]
    public bool IsClassification => Task != MlTask.Regression;
}
