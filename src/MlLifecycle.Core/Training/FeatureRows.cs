using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Training;

/// <summary>
/// Converts raw cells to the model's input columns: one path for training rows and for serving requests, so the
/// model always sees the same conversion. Feature <c>i</c> of the schema becomes column <c>f{i}</c>.
/// </summary>
public static class FeatureRows
{
    public const string LabelColumn = "Label";

    public static string ColumnName(int featureIndex) => $"f{featureIndex}";

    /// <summary>Rows with a label, their feature cells in <see cref="DatasetSchema.Features"/> order, and labels.</summary>
    public static (List<string?[]> Features, List<string> Labels) FromTable(TabularData data, DatasetSchema schema)
    {
        var labelIndex = data.IndexOf(schema.Label.Name);
        var featureIndexes = schema.Features.Select(f => data.IndexOf(f.Name)).ToArray();
        List<string?[]> features = [];
        List<string> labels = [];
        foreach (var row in data.Rows)
        {
            if (row[labelIndex] is { } label)
            {
                features.Add(featureIndexes.Select(i => row[i]).ToArray());
                labels.Add(label);
            }
        }

        return (features, labels);
    }

    internal static IDataView ToDataView(DatasetSchema schema, IReadOnlyList<string?[]> rows, IReadOnlyList<string>? labels = null)
    {
        var builder = new RowsDataView.Builder(rows.Count);
        var features = schema.Features;
        for (var f = 0; f < features.Count; f++)
        {
            var index = f;
            if (features[f].Kind == ColumnKind.Numeric)
            {
                builder.Add(ColumnName(f), NumberDataViewType.Single, i => ToSingle(rows[i][index]));
            }
            else
            {
                builder.Add(ColumnName(f), TextDataViewType.Instance, i => (rows[i][index] ?? string.Empty).AsMemory());
            }
        }

        if (labels is not null)
        {
            AddLabel(builder, schema, labels);
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
