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
/// <param name="History">For a history field (see <see cref="HistoryFields"/>): what it holds. Training computes it from
/// earlier rows; prediction requests must send it.</param>
public sealed record ColumnSchema(
    string Name,
    ColumnKind Kind,
    int Missing,
    int Distinct,
    double? Min,
    double? Max,
    IReadOnlyList<string>? Categories,
    string? Ignored = null,
    string? History = null)
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
/// <param name="Derived">Declared features computed from feature columns (spec <c>features</c>).</param>
public sealed record DatasetSchema(
    int Rows,
    ColumnSchema Label,
    MlTask Task,
    IReadOnlyList<string>? Classes,
    string? PositiveClass,
    IReadOnlyList<ColumnSchema> Columns,
    IReadOnlyList<DerivedFeature>? Derived = null)
{
    [JsonIgnore]
    public IReadOnlyList<ColumnSchema> Features => Columns.Where(c => c.Ignored is null).ToList();

    [JsonIgnore]
    public bool IsClassification => Task != MlTask.Regression;
}

/// <summary>
/// A declared feature: <c>product</c>, <c>ratio</c>, <c>log</c> or <c>bucket</c> of numeric feature columns, or a
/// <c>lag</c> (one history field) or rolling <c>mean</c>, <c>min</c>, <c>max</c> (over history fields 1..window).
/// </summary>
public sealed record DerivedFeature(string Name, string Op, IReadOnlyList<string> Columns, IReadOnlyList<double>? Edges = null)
{
    /// <summary>The declared features of a spec, checked against the schema: every column must be a numeric feature.</summary>
    /// <exception cref="DataValidationException">A column is absent, ignored or not numeric.</exception>
    public static List<DerivedFeature> From(Spec.FeaturesSpec? spec, DatasetSchema schema)
    {
        List<DerivedFeature> derived = [];
        foreach (var i in spec?.Interactions ?? [])
        {
            var op = i.Op.ToString().ToLowerInvariant();
            derived.Add(new DerivedFeature($"{op}({string.Join(", ", i.Columns)})", op, i.Columns));
        }

        derived.AddRange((spec?.Log ?? []).Select(c => new DerivedFeature($"log({c})", "log", [c])));
        derived.AddRange((spec?.Buckets ?? []).Select(b => new DerivedFeature($"bucket({b.Key})", "bucket", [b.Key], b.Value)));
        derived.AddRange((spec?.Lags ?? []).SelectMany(l => l.Value.Distinct().Order().Select(k => new DerivedFeature($"lag({l.Key}, {k})", "lag", [HistoryFields.Name(l.Key, k)]))));
        derived.AddRange((spec?.Rolling ?? []).SelectMany(r => r.EffectiveStats.Distinct().Select(stat => new DerivedFeature(
            $"rolling_{stat.ToString().ToLowerInvariant()}({r.Column}, {r.Window})",
            stat.ToString().ToLowerInvariant(),
            [.. Enumerable.Range(1, r.Window).Select(k => HistoryFields.Name(r.Column, k))]))));
        var numeric = schema.Features.Where(f => f.Kind == ColumnKind.Numeric).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        if (derived.SelectMany(d => d.Columns).FirstOrDefault(c => !numeric.Contains(c)) is { } bad)
        {
            throw new DataValidationException(AnomalyCodes.InvalidSpec, "features", $"Declared feature column '{bad}' is not a numeric feature of this data.");
        }

        return derived;
    }
}
