namespace MlLifecycle.Core.Data;

/// <summary>
/// Checks a new batch (retraining data, batch-inference input, a drift window) against a stored schema, TFDV style:
/// missing or extra columns, values of the wrong type, unseen categories, out-of-range numbers, unexpected nulls.
/// </summary>
public static class SchemaValidator
{
    /// <param name="batch">The new data.</param>
    /// <param name="schema">The schema stored with a model version.</param>
    /// <param name="requireLabel">Whether the label column must be present (training data) or not (inference input).</param>
    public static List<Anomaly> Validate(TabularData batch, DatasetSchema schema, bool requireLabel)
    {
        List<Anomaly> anomalies = [];
        var expected = schema.Features.Append(schema.Label).ToList();
        foreach (var column in expected)
        {
            var index = batch.IndexOf(column.Name);
            if (index < 0)
            {
                if (column.History is not null)
                {
                    // Training data gets history fields computed from its own earlier rows; inference input must bring them.
                    if (!requireLabel)
                    {
                        anomalies.Add(Anomaly.Error(AnomalyCodes.MissingColumn, column.Name, $"Column '{column.Name}' is missing: {HistoryFields.WhyRequired(column)}."));
                    }
                }
                else if (column != schema.Label || requireLabel)
                {
                    anomalies.Add(Anomaly.Error(AnomalyCodes.MissingColumn, column.Name, $"Column '{column.Name}' of the stored schema is missing."));
                }

                continue;
            }

            Check(batch, index, column, anomalies);
        }

        var known = schema.Columns.Select(c => c.Name).Append(schema.Label.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        anomalies.AddRange(batch.Columns.Where(c => !known.Contains(c))
            .Select(c => Anomaly.Warning(AnomalyCodes.ExtraColumn, c, $"Column '{c}' is not in the stored schema; it is ignored.")));
        return anomalies;
    }

    private static void Check(TabularData batch, int index, ColumnSchema column, List<Anomaly> anomalies)
    {
        List<int> wrongType = [], unseen = [], outOfRange = [], missing = [];
        var categories = column.CategoriesComplete ? column.Categories!.ToHashSet(StringComparer.Ordinal) : null;
        for (var r = 0; r < batch.Rows.Count; r++)
        {
            if (batch.Rows[r][index] is not { } value)
            {
                missing.Add(r + 1);
                continue;
            }

            switch (column.Kind)
            {
                case ColumnKind.Numeric when !SchemaInference.TryParseNumber(value, out var x):
                    wrongType.Add(r + 1);
                    break;
                case ColumnKind.Numeric when SchemaInference.TryParseNumber(value, out var x) && (x < column.Min || x > column.Max):
                    outOfRange.Add(r + 1);
                    break;
                case ColumnKind.Boolean when SchemaInference.ParseBoolean(value) is null:
                case ColumnKind.DateTime when !SchemaInference.TryParseDate(value, out _):
                    wrongType.Add(r + 1);
                    break;
                case ColumnKind.Categorical when categories is not null && !categories.Contains(value):
                    unseen.Add(r + 1);
                    break;
            }
        }

        Add(wrongType, Severity.Error, AnomalyCodes.TypeMismatch, $"values that are not {column.Kind.ToString().ToLowerInvariant()}");
        Add(unseen, Severity.Warning, AnomalyCodes.UnseenCategory, "categories never seen in training");
        Add(outOfRange, Severity.Warning, AnomalyCodes.OutOfRange, $"values outside the training range [{column.Min}, {column.Max}]");
        if (column.Missing == 0)
        {
            Add(missing, Severity.Warning, AnomalyCodes.UnexpectedMissing, "missing values where training had none");
        }

        void Add(List<int> rows, Severity severity, string code, string what)
        {
            if (rows.Count > 0)
            {
                anomalies.Add(new Anomaly(code, column.Name, rows.Count, severity, $"Column '{column.Name}' has {rows.Count} {what}.", rows.Take(Anomaly.MaxExampleRows).ToList()));
            }
        }
    }
}
