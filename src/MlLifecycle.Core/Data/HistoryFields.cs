using System.Globalization;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;

namespace MlLifecycle.Core.Data;

/// <summary>
/// Lag and rolling-window features look at earlier rows, which a model that sees one row at a time cannot do. They are
/// built in two steps so that training and serving share the second one:
/// <list type="number">
/// <item>History fields <c>{column}_lag{k}</c> hold the column's value k rows earlier (same entity, in time order).
/// Training adds them to the table here from strictly earlier rows; a prediction request carries them itself.</item>
/// <item>Lags and rolling mean/min/max are declared features over those fields, computed inside the saved model.</item>
/// </list>
/// </summary>
public static class HistoryFields
{
    public static string Name(string column, int back) => $"{column}_lag{back}";

    /// <summary>How many rows back each column's history must reach: its largest lag or window.</summary>
    public static Dictionary<string, int> Depths(FeaturesSpec spec)
    {
        Dictionary<string, int> depths = new(StringComparer.Ordinal);
        foreach (var (column, lags) in spec.Lags ?? [])
        {
            depths[column] = Math.Max(depths.GetValueOrDefault(column), lags.Max());
        }

        foreach (var rolling in spec.Rolling ?? [])
        {
            depths[rolling.Column] = Math.Max(depths.GetValueOrDefault(rolling.Column), rolling.Window);
        }

        return depths;
    }

    /// <summary>The column ordering rows in time for history fields: <c>features.orderBy</c>, else <c>validation.orderBy</c>.</summary>
    public static string? OrderBy(ProblemSpec spec) => spec.Features?.OrderBy ?? spec.Validation?.OrderBy;

    /// <summary>
    /// Appends the history fields to the table. Row t's field <c>{c}_lag{k}</c> is the value of <c>c</c> in the k-th row
    /// before t among rows of the same entity sorted by the order column (ties keep file order); missing when there is
    /// no such row. No row ever reads a later row. Row order is unchanged.
    /// </summary>
    /// <exception cref="DataValidationException">The order, entity or a history column is absent, or a history column is not numeric.</exception>
    public static TabularData Add(TabularData data, ProblemSpec spec)
    {
        var depths = Depths(spec.EffectiveFeatures);
        if (depths.Count == 0)
        {
            return data;
        }

        var orderBy = OrderBy(spec) ?? throw new DataValidationException(AnomalyCodes.InvalidSpec, "features.orderBy", "Lag and rolling features need features.orderBy (or validation.orderBy): the column that orders rows in time.");
        var order = ValidationPlan.OrderValues(data, orderBy);
        var entity = spec.Features?.Entity is { } e ? IndexOf(data, e, "features.entity") : -1;
        var sources = depths.Select(d => (Index: IndexOf(data, d.Key, $"features: '{d.Key}'"), Depth: d.Value)).ToList();
        foreach (var (index, _) in sources)
        {
            if (data.Rows.FirstOrDefault(r => r[index] is { } v && !SchemaInference.TryParseNumber(v, out _)) is { } bad)
            {
                throw new DataValidationException(AnomalyCodes.InvalidSpec, data.Columns[index], $"Lags and rolling windows need a numeric column; '{data.Columns[index]}' holds '{bad[index]}'.");
            }
        }

        var added = sources.Sum(s => s.Depth);
        var rows = data.Rows.Select(r => { var copy = new string?[r.Length + added]; r.CopyTo(copy, 0); return copy; }).ToList();
        var byEntity = Enumerable.Range(0, rows.Count)
            .GroupBy(i => entity < 0 ? null : data.Rows[i][entity], StringComparer.Ordinal)
            .Select(g => g.OrderBy(i => order[i]).ThenBy(i => i).ToArray());
        foreach (var timeline in byEntity)
        {
            for (var t = 0; t < timeline.Length; t++)
            {
                var offset = data.Columns.Count;
                foreach (var (index, depth) in sources)
                {
                    for (var k = 1; k <= depth; k++)
                    {
                        rows[timeline[t]][offset + k - 1] = t - k >= 0 ? data.Rows[timeline[t - k]][index] : null;
                    }

                    offset += depth;
                }
            }
        }

        var columns = data.Columns.Concat(sources.SelectMany(s => Enumerable.Range(1, s.Depth).Select(k => Name(data.Columns[s.Index], k)))).ToList();
        return new TabularData(columns, rows);
    }

    /// <summary>
    /// The cleaned table with its history fields, and the schema with their columns and the spec's declared features
    /// (what the validation stage stores and every later stage trains on).
    /// </summary>
    public static (TabularData Table, DatasetSchema Schema) Declare(TabularData cleaned, DatasetSchema schema, ProblemSpec spec)
    {
        var table = Add(cleaned, spec);
        var extended = Extend(schema, table, spec) with { Rows = table.Rows.Count };
        return (table, extended with { Derived = DerivedFeature.From(spec.Features, extended) });
    }

    /// <summary>The schema with a numeric feature column for each history field the table gained.</summary>
    public static DatasetSchema Extend(DatasetSchema schema, TabularData table, ProblemSpec spec)
    {
        List<ColumnSchema> added = [];
        foreach (var (column, depth) in Depths(spec.EffectiveFeatures))
        {
            for (var k = 1; k <= depth; k++)
            {
                var index = table.IndexOf(Name(column, k));
                var values = table.Rows.Select(r => r[index] is { } v && SchemaInference.TryParseNumber(v, out var x) ? x : (double?)null).ToList();
                var present = values.OfType<double>().ToList();
                added.Add(new ColumnSchema(
                    table.Columns[index], ColumnKind.Numeric, values.Count - present.Count, present.Distinct().Count(),
                    present.Count > 0 ? present.Min() : null, present.Count > 0 ? present.Max() : null, null, History: Describe(column, k, spec)));
            }
        }

        return schema with { Columns = [.. schema.Columns, .. added] };
    }

    /// <summary>What a history field holds, for the schema and for error messages.</summary>
    public static string Describe(string column, int back, ProblemSpec spec) =>
        string.Create(CultureInfo.InvariantCulture, $"value of '{column}' {back} row(s) earlier{(spec.Features?.Entity is { } e ? $" for the same '{e}'" : "")}, ordered by '{OrderBy(spec)}'");

    private static int IndexOf(TabularData data, string column, string field)
    {
        var index = data.IndexOf(column);
        return index >= 0 ? index : throw new DataValidationException(AnomalyCodes.InvalidSpec, field, $"The spec names column '{column}', which is not in the file.");
    }
}
