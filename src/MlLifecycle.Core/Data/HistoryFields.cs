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

    /// <summary>The rows back each column's history fields cover: its lags, and 1..window for each rolling window.</summary>
    public static Dictionary<string, SortedSet<int>> Offsets(FeaturesSpec spec)
    {
        Dictionary<string, SortedSet<int>> offsets = new(StringComparer.Ordinal);
        foreach (var (column, lags) in spec.Lags ?? [])
        {
            For(column).UnionWith(lags);
        }

        foreach (var rolling in spec.Rolling ?? [])
        {
            For(rolling.Column).UnionWith(Enumerable.Range(1, rolling.Window));
        }

        return offsets;

        SortedSet<int> For(string column) => offsets.TryGetValue(column, out var set) ? set : offsets[column] = [];
    }

    /// <summary>The column ordering rows in time for history fields: <c>features.orderBy</c>, else <c>validation.orderBy</c>.</summary>
    public static string? OrderBy(ProblemSpec spec) => spec.Features?.OrderBy ?? spec.Validation?.OrderBy;

    /// <summary>
    /// Appends the history fields to the table. Row t's field <c>{c}_lag{k}</c> is the value of <c>c</c> in the k-th row
    /// before t among rows of the same entity sorted by the order column; missing when there is no such row. Every row
    /// needs an order value (and entity), and no two rows of an entity may share one, so no row ever reads its own
    /// time step or a later one. Row order is unchanged.
    /// </summary>
    /// <exception cref="DataValidationException">The order, entity or a history column is absent, a history column is not
    /// numeric, a field name is taken, or order values are missing or repeated within an entity.</exception>
    public static TabularData Add(TabularData data, ProblemSpec spec)
    {
        var offsets = Offsets(spec.EffectiveFeatures);
        if (offsets.Count == 0)
        {
            return data;
        }

        var orderBy = OrderBy(spec) ?? throw new DataValidationException(AnomalyCodes.InvalidSpec, "features.orderBy", "Lag and rolling features need features.orderBy (or validation.orderBy): the column that orders rows in time.");
        var orderIndex = IndexOf(data, orderBy, "features.orderBy");
        var order = ValidationPlan.OrderValues(data, orderBy);
        var entity = spec.Features?.Entity is { } e ? IndexOf(data, e, "features.entity") : -1;
        var sources = offsets.Select(o => (Index: IndexOf(data, o.Key, $"features: '{o.Key}'"), Offsets: o.Value.ToArray())).ToList();
        foreach (var (index, _) in sources)
        {
            if (data.Rows.FirstOrDefault(r => r[index] is { } v && !SchemaInference.TryParseNumber(v, out _)) is { } bad)
            {
                throw new DataValidationException(AnomalyCodes.InvalidSpec, data.Columns[index], $"Lags and rolling windows need a numeric column; '{data.Columns[index]}' holds '{bad[index]}'.");
            }
        }

        var names = sources.SelectMany(s => s.Offsets.Select(k => Name(data.Columns[s.Index], k))).ToList();
        if (names.FirstOrDefault(n => data.IndexOf(n) >= 0) is { } taken)
        {
            throw new DataValidationException(AnomalyCodes.InvalidSpec, taken, $"The file already has a column '{taken}', the name of a history field; rename it.");
        }

        if (Enumerable.Range(0, order.Count).FirstOrDefault(i => data.Rows[i][orderIndex] is not null && order[i] == double.MinValue, -1) is var unreadable and >= 0)
        {
            throw new DataValidationException(AnomalyCodes.AmbiguousHistory, orderBy, $"Row {unreadable + 1} has '{orderBy}' = {data.Rows[unreadable][orderIndex]}, which is neither a date nor a number: lags and rolling windows cannot place it in time.");
        }

        foreach (var key in new[] { orderIndex, entity }.Where(i => i >= 0))
        {
            if (data.Rows.Select((r, i) => (r, i)).FirstOrDefault(x => x.r[key] is null) is { r: not null } missing)
            {
                throw new DataValidationException(AnomalyCodes.AmbiguousHistory, data.Columns[key], $"Row {missing.i + 1} has no '{data.Columns[key]}': lags and rolling windows need every row placed in time{(entity >= 0 ? " and in an entity" : "")}.");
            }
        }

        var rows = data.Rows.Select(r => { var copy = new string?[r.Length + names.Count]; r.CopyTo(copy, 0); return copy; }).ToList();
        var timelines = Enumerable.Range(0, rows.Count)
            .GroupBy(i => entity < 0 ? "" : data.Rows[i][entity]!, StringComparer.Ordinal)
            .Select(g => g.OrderBy(i => order[i]).ToArray());
        foreach (var timeline in timelines)
        {
            if (timeline.Zip(timeline.Skip(1)).FirstOrDefault(p => order[p.First] == order[p.Second]) is var (a, b) && a != b)
            {
                throw new DataValidationException(AnomalyCodes.AmbiguousHistory, orderBy, $"Rows {a + 1} and {b + 1} share '{orderBy}' = {data.Rows[a][orderIndex]}{(entity >= 0 ? $" for '{data.Columns[entity]}' = {data.Rows[a][entity]}" : "")}: lags need one row per time step{(entity >= 0 ? " and entity" : "; set features.entity when several series share the file")}.");
            }

            for (var t = 0; t < timeline.Length; t++)
            {
                var field = data.Columns.Count;
                foreach (var (index, back) in sources)
                {
                    foreach (var k in back)
                    {
                        rows[timeline[t]][field++] = t - k >= 0 ? data.Rows[timeline[t - k]][index] : null;
                    }
                }
            }
        }

        return new TabularData([.. data.Columns, .. names], rows);
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
        foreach (var (column, offsets) in Offsets(spec.EffectiveFeatures))
        {
            foreach (var k in offsets)
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

    /// <summary>Why an input must carry a history field, for the errors of requests and input files without it.</summary>
    public static string WhyRequired(ColumnSchema field) =>
        $"it is a history field, the {field.History}; lag and rolling-window features cannot be computed without it";

    /// <summary>What a history field holds, for the schema and for error messages.</summary>
    public static string Describe(string column, int back, ProblemSpec spec) =>
        string.Create(CultureInfo.InvariantCulture, $"value of '{column}' {back} row(s) earlier{(spec.Features?.Entity is { } e ? $" for the same '{e}'" : "")}, ordered by '{OrderBy(spec)}'");

    private static int IndexOf(TabularData data, string column, string field)
    {
        var index = data.IndexOf(column);
        return index >= 0 ? index : throw new DataValidationException(AnomalyCodes.InvalidSpec, field, $"The spec names column '{column}', which is not in the file.");
    }
}
