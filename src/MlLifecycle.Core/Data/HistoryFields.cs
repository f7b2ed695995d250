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
    public static ColumnTable Add(ColumnTable data, ProblemSpec spec)
    {
        var offsets = Offsets(spec.EffectiveFeatures);
        if (offsets.Count == 0)
        {
            return data;
        }

        var orderBy = OrderBy(spec) ?? throw new DataValidationException(AnomalyCodes.InvalidSpec, "features.orderBy", "Lag and rolling features need features.orderBy (or validation.orderBy): the column that orders rows in time.");
        var orderColumn = Find(data, orderBy, "features.orderBy");
        var order = ValidationPlan.OrderValues(data, orderBy);
        var entity = spec.Features?.Entity is { } e ? Find(data, e, "features.entity") : null;
        var sources = offsets.Select(o => (Column: Find(data, o.Key, $"features: '{o.Key}'"), Offsets: o.Value.ToArray())).ToList();
        foreach (var (column, _) in sources)
        {
            if (Enumerable.Range(0, data.RowCount).FirstOrDefault(r => !column.IsMissing(r) && double.IsNaN(column.Number(r)), -1) is var bad and >= 0)
            {
                throw new DataValidationException(AnomalyCodes.InvalidSpec, column.Name, $"Lags and rolling windows need a numeric column; '{column.Name}' holds '{column.Text(bad)}'.");
            }
        }

        var names = sources.SelectMany(s => s.Offsets.Select(k => Name(s.Column.Name, k))).ToList();
        if (names.FirstOrDefault(n => data.IndexOf(n) >= 0) is { } taken)
        {
            throw new DataValidationException(AnomalyCodes.InvalidSpec, taken, $"The file already has a column '{taken}', the name of a history field; rename it.");
        }

        if (Enumerable.Range(0, order.Length).FirstOrDefault(i => !orderColumn.IsMissing(i) && order[i] == double.MinValue, -1) is var unreadable and >= 0)
        {
            throw new DataValidationException(AnomalyCodes.AmbiguousHistory, orderBy, $"Row {unreadable + 1} has '{orderBy}' = {orderColumn.Text(unreadable)}, which is neither a date nor a number: lags and rolling windows cannot place it in time.");
        }

        foreach (var key in new[] { orderColumn, entity }.OfType<Column>())
        {
            if (Enumerable.Range(0, data.RowCount).FirstOrDefault(key.IsMissing, -1) is var missing and >= 0)
            {
                throw new DataValidationException(AnomalyCodes.AmbiguousHistory, key.Name, $"Row {missing + 1} has no '{key.Name}': lags and rolling windows need every row placed in time{(entity is not null ? " and in an entity" : "")}.");
            }
        }

        var fields = names.Select(_ => Enumerable.Repeat(double.NaN, data.RowCount).ToArray()).ToList();
        var timelines = Enumerable.Range(0, data.RowCount)
            .GroupBy(i => entity?.Text(i) ?? "", StringComparer.Ordinal)
            .Select(g => g.OrderBy(i => order[i]).ToArray());
        foreach (var timeline in timelines)
        {
            if (timeline.Zip(timeline.Skip(1)).FirstOrDefault(p => order[p.First] == order[p.Second]) is var (a, b) && a != b)
            {
                throw new DataValidationException(AnomalyCodes.AmbiguousHistory, orderBy, $"Rows {a + 1} and {b + 1} share '{orderBy}' = {orderColumn.Text(a)}{(entity is not null ? $" for '{entity.Name}' = {entity.Text(a)}" : "")}: lags need one row per time step{(entity is not null ? " and entity" : "; set features.entity when several series share the file")}.");
            }

            for (var t = 0; t < timeline.Length; t++)
            {
                var field = 0;
                foreach (var (column, back) in sources)
                {
                    foreach (var k in back)
                    {
                        fields[field++][timeline[t]] = t - k >= 0 ? column.Number(timeline[t - k]) : double.NaN;
                    }
                }
            }
        }

        return data.With(names.Select((n, i) => new NumberColumn(n, fields[i])));
    }

    /// <summary>
    /// The cleaned table with its history fields, and the schema with their columns and the spec's declared features
    /// (what the validation stage stores and every later stage trains on).
    /// </summary>
    public static (ColumnTable Table, DatasetSchema Schema) Declare(ColumnTable cleaned, DatasetSchema schema, ProblemSpec spec)
    {
        var table = Add(cleaned, spec);
        var extended = Extend(schema, table, spec) with { Rows = table.RowCount };
        return (table, extended with { Derived = DerivedFeature.From(spec.Features, extended) });
    }

    /// <summary>The schema with a numeric feature column for each history field the table gained.</summary>
    public static DatasetSchema Extend(DatasetSchema schema, ColumnTable table, ProblemSpec spec)
    {
        List<ColumnSchema> added = [];
        foreach (var (column, offsets) in Offsets(spec.EffectiveFeatures))
        {
            foreach (var k in offsets)
            {
                var field = table.Find(Name(column, k))!;
                var present = Enumerable.Range(0, field.Length).Select(field.Number).Where(x => !double.IsNaN(x)).ToList();
                added.Add(new ColumnSchema(
                    field.Name, ColumnKind.Numeric, field.Length - present.Count, present.Distinct().Count(),
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

    private static Column Find(ColumnTable data, string column, string field) =>
        data.Find(column) ?? throw new DataValidationException(AnomalyCodes.InvalidSpec, field, $"The spec names column '{column}', which is not in the file.");
}
