using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Training;

/// <summary>One input column of the model, computed from a row of raw feature cells.</summary>
/// <param name="Name">Column name in the model (<c>f{feature}</c>, or <c>f{feature}_{part}</c> for date parts).</param>
/// <param name="Feature">Index in <see cref="DatasetSchema.Features"/>.</param>
/// <param name="Kind">Kind of the source feature.</param>
/// <param name="Number">Numeric value of a row (NaN = missing), for numeric, boolean and date columns.</param>
/// <param name="Text">Text value of a row ("" = missing), for categorical and text columns.</param>
public sealed record InputColumn(string Name, int Feature, ColumnKind Kind, Func<FeatureSource, int, float>? Number, Func<FeatureSource, int, string>? Text)
{
    public bool IsText => Text is not null;

    /// <summary>A sine or cosine of a date part: it lets a linear model see that December is next to January; a tree splits the part itself.</summary>
    public bool IsCyclic => Kind == ColumnKind.DateTime && (Name.EndsWith("_sin", StringComparison.Ordinal) || Name.EndsWith("_cos", StringComparison.Ordinal));
}

/// <summary>
/// Converts raw feature values to the model's input columns: one path for training rows and for serving requests, so the
/// model always sees the same conversion. Feature <c>i</c> of the schema becomes column <c>f{i}</c>.
/// </summary>
public static class FeatureRows
{
    public const string LabelColumn = "Label";

    /// <summary>The example weight column, present when classes are weighted.</summary>
    public const string WeightColumn = "Weight";

    /// <summary>Date parts, with sine/cosine encodings so December sits next to January and Sunday next to Monday.</summary>
    private static readonly (string Part, Func<DateTime, float> Value)[] DateParts =
    [
        ("days", d => (float)(d - DateTime.UnixEpoch).TotalDays), // the trend: time as one number
        ("year", d => d.Year),
        ("month", d => d.Month),
        ("day", d => d.Day),
        ("dayofweek", d => (float)d.DayOfWeek),
        ("hour", d => d.Hour),
        ("weekend", d => d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 1 : 0),
        ("month_sin", d => Cyclic(d.Month - 1, 12, Math.Sin)),
        ("month_cos", d => Cyclic(d.Month - 1, 12, Math.Cos)),
        ("dayofweek_sin", d => Cyclic((int)d.DayOfWeek, 7, Math.Sin)),
        ("dayofweek_cos", d => Cyclic((int)d.DayOfWeek, 7, Math.Cos)),
        ("hour_sin", d => Cyclic(d.Hour, 24, Math.Sin)),
        ("hour_cos", d => Cyclic(d.Hour, 24, Math.Cos)),
    ];

    private static float Cyclic(int value, int period, Func<double, double> wave) => (float)wave(2 * Math.PI * value / period);

    public static string ColumnName(int featureIndex) => $"f{featureIndex}";

    /// <summary>A model input in the user's terms: <c>f3</c> → its column, <c>f5_month</c> → <c>date:month</c>, <c>d0_ratio</c> → the declared feature.</summary>
    public static string Describe(DatasetSchema schema, string input)
    {
        var (prefix, rest) = (input[0], input[1..].Split('_', 2));
        return int.TryParse(rest[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i) switch
        {
            true when prefix == 'f' && i < schema.Features.Count => rest.Length > 1 ? $"{schema.Features[i].Name}:{rest[1]}" : schema.Features[i].Name,
            true when prefix == 'd' && i < (schema.Derived?.Count ?? 0) => schema.Derived![i].Name,
            _ => input,
        };
    }

    /// <summary>The model's input columns for a schema.</summary>
    public static IReadOnlyList<InputColumn> Inputs(DatasetSchema schema)
    {
        List<InputColumn> inputs = [];
        var features = schema.Features;
        for (var f = 0; f < features.Count; f++)
        {
            if (features[f].History is not null)
            {
                continue; // a history field reaches the model only through its lag and rolling features
            }

            var i = f;
            var name = ColumnName(f);
            switch (features[f].Kind)
            {
                case ColumnKind.Numeric:
                    inputs.Add(new(name, f, ColumnKind.Numeric, (rows, r) => (float)rows.Number(i, r), null));
                    break;
                case ColumnKind.Boolean:
                    inputs.Add(new(name, f, ColumnKind.Boolean, (rows, r) => rows.Boolean(i, r), null));
                    break;
                case ColumnKind.DateTime:
                    inputs.AddRange(DateParts.Select(p => new InputColumn(
                        $"{name}_{p.Part}", i, ColumnKind.DateTime, (rows, r) => rows.Date(i, r) is { } date ? p.Value(date) : float.NaN, null)));
                    break;
                default:
                    inputs.Add(new(name, f, features[f].Kind, null, (rows, r) => rows.Text(i, r)));
                    break;
            }
        }

        var index = features.Select((f, i) => (f.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        foreach (var (d, k) in (schema.Derived ?? []).Select((d, k) => (d, k)))
        {
            var columns = d.Columns.Select(c => index[c]).ToArray();
            inputs.Add(new($"d{k}_{d.Op}", columns[0], ColumnKind.Numeric, Derive(d, columns), null));
        }

        return inputs;
    }

    /// <summary>The arithmetic of a declared feature over raw values; missing inputs, 0 divisors and out-of-domain logs give NaN (imputed).</summary>
    private static Func<FeatureSource, int, float> Derive(DerivedFeature d, int[] columns) => d.Op switch
    {
        "product" => (rows, r) => columns.Aggregate(1f, (p, c) => p * (float)rows.Number(c, r)),
        "ratio" => (rows, r) => (float)rows.Number(columns[1], r) is var b && b != 0 ? (float)rows.Number(columns[0], r) / b : float.NaN,
        "log" => (rows, r) => (float)rows.Number(columns[0], r) is var x ? MathF.Sign(x) * MathF.Log(1 + MathF.Abs(x)) : float.NaN,
        "bucket" => (rows, r) => (float)rows.Number(columns[0], r) is var x && float.IsFinite(x) ? d.Edges!.Count(e => x >= e) : float.NaN,
        "lag" => (rows, r) => (float)rows.Number(columns[0], r),
        "mean" => (rows, r) => Finite(rows, r, columns) is { Count: > 0 } v ? v.Average() : float.NaN,
        "min" => (rows, r) => Finite(rows, r, columns) is { Count: > 0 } v ? v.Min() : float.NaN,
        "max" => (rows, r) => Finite(rows, r, columns) is { Count: > 0 } v ? v.Max() : float.NaN,
        _ => throw new ArgumentException($"Unknown derived feature '{d.Op}'."),
    };

    /// <summary>The present values of a window of history fields (a window may be cut short at the start of a series).</summary>
    private static List<float> Finite(FeatureSource rows, int row, int[] columns) => columns.Select(c => (float)rows.Number(c, row)).Where(float.IsFinite).ToList();

    /// <summary>A table's feature columns in <see cref="DatasetSchema.Features"/> order, over its rows that have a label, and their labels.</summary>
    /// <exception cref="DataValidationException">The table lacks a feature or the label.</exception>
    public static (FeatureSource Features, IReadOnlyList<string> Labels) FromTable(ColumnTable data, DatasetSchema schema)
    {
        var label = Find(data, schema.Label.Name);
        var rows = SchemaInference.Labelled(label);
        return (FeatureSource.FromColumns([.. schema.Features.Select(f => Find(data, f.Name))], rows), new ColumnTexts(label, rows));
    }

    /// <summary>
    /// A table's features as the rows of cells a request would send (schema order, missing as null) over its rows that
    /// have a label, and their labels: for tools and tests that edit rows; training reads <see cref="FromTable"/>.
    /// </summary>
    public static (List<string?[]> Features, List<string> Labels) Cells(ColumnTable data, DatasetSchema schema)
    {
        var (rows, labels) = FromTable(data, schema);
        var features = schema.Features.Count;
        return ([.. Enumerable.Range(0, rows.Count).Select(r => Enumerable.Range(0, features).Select(f => rows.Text(f, r) is { Length: > 0 } t ? t : null).ToArray())], [.. labels]);
    }

    /// <summary>The labels of a table's rows (every row of a cleaned table has one).</summary>
    public static IReadOnlyList<string> Labels(ColumnTable data, DatasetSchema schema) => new ColumnTexts(Find(data, schema.Label.Name));

    private static Column Find(ColumnTable data, string column) =>
        data.Find(column) ?? throw new DataValidationException(AnomalyCodes.MissingColumn, column, $"The data has no column '{column}'.");

    internal static RowsDataView ToDataView(DatasetSchema schema, IReadOnlyList<InputColumn> inputs, FeatureSource rows, IReadOnlyList<string>? labels = null, IReadOnlyDictionary<string, float>? classWeights = null)
    {
        var builder = new RowsDataView.Builder(rows.Count);
        foreach (var input in inputs)
        {
            if (input.Number is { } number)
            {
                builder.Add(input.Name, NumberDataViewType.Single, i => number(rows, i));
            }
            else
            {
                var text = input.Text!;
                builder.Add(input.Name, TextDataViewType.Instance, i => text(rows, i).AsMemory());
            }
        }

        if (labels is not null)
        {
            AddLabel(builder, schema, labels);
            if (classWeights is not null)
            {
                builder.Add(WeightColumn, NumberDataViewType.Single, i => classWeights[labels[i]]);
            }
        }

        return builder.Build();
    }

    private static void AddLabel(RowsDataView.Builder builder, DatasetSchema schema, IReadOnlyList<string> labels)
    {
        switch (schema.Task)
        {
            case MlTask.BinaryClassification:
                builder.Add(LabelColumn, BooleanDataViewType.Instance, i => labels[i] == schema.PositiveClass);
                break;
            case MlTask.MulticlassClassification:
                var keys = schema.Classes!.Select((c, k) => (c, k)).ToDictionary(x => x.c, x => (uint)(x.k + 1), StringComparer.Ordinal);
                builder.Add(LabelColumn, new KeyDataViewType(typeof(uint), schema.Classes!.Count), i => keys[labels[i]]);
                break;
            default:
                builder.Add(LabelColumn, NumberDataViewType.Single, i => ToSingle(labels[i]));
                break;
        }
    }

    /// <summary>Missing, unparsable and non-finite cells become NaN, which the model imputes.</summary>
    public static float ToSingle(string? cell) =>
        cell is not null && double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x)
            ? (float)x
            : float.NaN;
}
