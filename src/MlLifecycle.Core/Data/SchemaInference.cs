using System.Globalization;

namespace MlLifecycle.Core.Data;

/// <summary>Infers column kinds, the task and the class order from a parsed CSV.</summary>
public static class SchemaInference
{
    public const int MaxCategoriesRecorded = 1000;

    /// <summary>An integer label with at most this many distinct values is read as classes, not a quantity.</summary>
    public const int MaxIntegerClasses = 10;

    private static readonly string[] PositiveNames = ["1", "true", "yes", "y", "positive", "pos"];

    public static bool TryParseNumber(string value, out double number) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out number);

    /// <summary>Infers the schema. Rows whose label is missing are not counted.</summary>
    /// <param name="data">The parsed dataset.</param>
    /// <param name="label">Label column; when null the last column is used.</param>
    public static DatasetSchema Infer(TabularData data, string? label)
    {
        var labelIndex = label is null ? data.Columns.Count - 1 : data.IndexOf(label);
        if (labelIndex < 0)
        {
            throw new DataValidationException(
                AnomalyCodes.MissingLabel,
                label,
                $"The label column '{label}' is not in the file (columns: {string.Join(", ", data.Columns)}).");
        }

        var rows = data.Rows.Where(r => r[labelIndex] is not null).ToList();
        var labelName = data.Columns[labelIndex];
        if (rows.Count == 0)
        {
            throw new DataValidationException(AnomalyCodes.LabelAllMissing, labelName, $"Every value of the label column '{labelName}' is missing.");
        }

        var labelSchema = Describe(labelName, rows, labelIndex, rows.Count);
        var (task, classes, positive) = InferTask(labelSchema, rows, labelIndex);
        var columns = new List<ColumnSchema>();
        for (var i = 0; i < data.Columns.Count; i++)
        {
            if (i != labelIndex)
            {
                columns.Add(Describe(data.Columns[i], rows, i, rows.Count));
            }
        }

        if (columns.All(c => c.Ignored is not null))
        {
            throw new DataValidationException(AnomalyCodes.NoFeatures, null, "No column can be used as a feature (all are constant, empty or ID-like).");
        }

        return new DatasetSchema(rows.Count, labelSchema with { Ignored = null }, task, classes, positive, columns);
    }

    private static ColumnSchema Describe(string name, List<string?[]> rows, int index, int rowCount)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var missing = 0;
        var numeric = true;
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var row in rows)
        {
            var value = row[index];
            if (value is null)
            {
                missing++;
                continue;
            }

            counts[value] = counts.GetValueOrDefault(value) + 1;
            if (numeric && TryParseNumber(value, out var x))
            {
                if (double.IsFinite(x))
                {
                    min = Math.Min(min, x);
                    max = Math.Max(max, x);
                }
            }
            else
            {
                numeric = false;
            }
        }

        var present = rowCount - missing;
        string? ignored = present == 0 ? "all values missing"
            : counts.Count == 1 ? "constant"
            : !numeric && present > 20 && counts.Count > 0.9 * present ? "ID-like (almost every value distinct)"
            : null;
        if (numeric && present > 0)
        {
            return new ColumnSchema(name, ColumnKind.Numeric, missing, counts.Count, double.IsFinite(min) ? min : null, double.IsFinite(max) ? max : null, null, ignored);
        }

        var categories = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(MaxCategoriesRecorded).Select(kv => kv.Key).ToList();
        return new ColumnSchema(name, ColumnKind.Categorical, missing, counts.Count, null, null, categories, ignored);
    }

    private static (MlTask Task, IReadOnlyList<string>? Classes, string? Positive) InferTask(ColumnSchema label, List<string?[]> rows, int index)
    {
        if (label.Distinct < 2)
        {
            throw new DataValidationException(AnomalyCodes.ConstantLabel, label.Name, $"The label column '{label.Name}' has a single value: there is nothing to learn.");
        }

        var values = rows.Select(r => r[index]!).ToList();
        var integerLabels = label.Kind == ColumnKind.Numeric && values.All(v => TryParseNumber(v, out var x) && x == Math.Floor(x));
        if (label.Kind == ColumnKind.Numeric && label.Distinct > 2 && !(integerLabels && label.Distinct <= MaxIntegerClasses))
        {
            return (MlTask.Regression, null, null);
        }

        var counts = values.GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var classes = label.Kind == ColumnKind.Numeric
            ? counts.Keys.OrderBy(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList()
            : counts.Keys.Order(StringComparer.Ordinal).ToList();
        if (classes.Count > 2)
        {
            return (MlTask.MulticlassClassification, classes, null);
        }

        var positive = classes.FirstOrDefault(c => PositiveNames.Contains(c, StringComparer.OrdinalIgnoreCase))
            ?? classes.OrderBy(c => counts[c]).ThenByDescending(c => c, StringComparer.Ordinal).First();
        return (MlTask.BinaryClassification, classes, positive);
    }
}
