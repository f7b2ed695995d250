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
    public static List<Anomaly> Validate(ColumnTable batch, DatasetSchema schema, bool requireLabel)
    {
        var check = new SchemaCheck(schema, requireLabel);
        check.Add(batch);
        return check.Anomalies();
    }

    public static List<Anomaly> Validate(TabularData batch, DatasetSchema schema, bool requireLabel) =>
        Validate(ColumnTable.From(batch), schema, requireLabel);
}

/// <summary>
/// <see cref="SchemaValidator.Validate"/> over a file read in chunks: the chunks of one file are added in order, and
/// the anomalies count and number rows over the whole file (1 = its first data row).
/// </summary>
/// <param name="schema">The schema stored with a model version.</param>
/// <param name="requireLabel">Whether the label column must be present (training data) or not (inference input).</param>
public sealed class SchemaCheck(DatasetSchema schema, bool requireLabel)
{
    private readonly List<Anomaly> _columns = [];
    private List<ColumnCounts>? _checked;
    private int _rows;

    /// <summary>Adds the next chunk of the file (every chunk has the file's columns).</summary>
    public void Add(TabularData chunk) => Add(ColumnTable.From(chunk));

    /// <summary>Adds the next chunk of the file (every chunk has the file's columns), a column per core.</summary>
    public void Add(ColumnTable chunk)
    {
        var check = _checked ??= CheckColumns(chunk);
        Parallel.ForEach(check, counts => counts.Add(chunk, _rows));
        _rows += chunk.RowCount;
    }

    /// <summary>What is wrong with the file so far: the columns first, then the values of each column.</summary>
    public List<Anomaly> Anomalies() => [.. _columns, .. (_checked ?? []).SelectMany(c => c.Anomalies())];

    /// <summary>Missing and extra columns, once per file; the columns whose values are then checked.</summary>
    private List<ColumnCounts> CheckColumns(ColumnTable batch)
    {
        List<ColumnCounts> present = [];
        foreach (var column in schema.Features.Append(schema.Label))
        {
            if (batch.IndexOf(column.Name) >= 0)
            {
                present.Add(new ColumnCounts(column));
            }
            else if (column.History is not null)
            {
                // Training data gets history fields computed from its own earlier rows; inference input must bring them.
                if (!requireLabel)
                {
                    _columns.Add(Anomaly.Error(AnomalyCodes.MissingColumn, column.Name, $"Column '{column.Name}' is missing: {HistoryFields.WhyRequired(column)}."));
                }
            }
            else if (column != schema.Label || requireLabel)
            {
                _columns.Add(Anomaly.Error(AnomalyCodes.MissingColumn, column.Name, $"Column '{column.Name}' of the stored schema is missing."));
            }
        }

        var known = schema.Columns.Select(c => c.Name).Append(schema.Label.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _columns.AddRange(batch.Names.Where(c => !known.Contains(c))
            .Select(c => Anomaly.Warning(AnomalyCodes.ExtraColumn, c, $"Column '{c}' is not in the stored schema; it is ignored.")));
        return present;
    }

    /// <summary>Offending values of one column: how many of each kind, and the first rows.</summary>
    private sealed class ColumnCounts(ColumnSchema column)
    {
        private readonly HashSet<string>? _categories = column.CategoriesComplete ? column.Categories!.ToHashSet(StringComparer.Ordinal) : null;
        private readonly RowSample _wrongType = new(), _unseen = new(), _outOfRange = new(), _missing = new();

        public void Add(ColumnTable batch, int firstRow)
        {
            var cells = batch.Find(column.Name)!;
            for (var r = 0; r < cells.Length; r++)
            {
                var row = firstRow + r + 1;
                if (cells.IsMissing(r))
                {
                    _missing.Add(row);
                    continue;
                }

                switch (column.Kind)
                {
                    case ColumnKind.Numeric when cells.Number(r) is var x && double.IsNaN(x):
                        _wrongType.Add(row);
                        break;
                    case ColumnKind.Numeric when cells.Number(r) is var x && (x < column.Min || x > column.Max):
                        _outOfRange.Add(row);
                        break;
                    case ColumnKind.Boolean when float.IsNaN(cells.Boolean(r)):
                    case ColumnKind.DateTime when cells.Date(r) is null:
                        _wrongType.Add(row);
                        break;
                    case ColumnKind.Categorical when _categories is not null && !_categories.Contains(cells.Text(r)!):
                        _unseen.Add(row);
                        break;
                }
            }
        }

        public IEnumerable<Anomaly> Anomalies()
        {
            List<Anomaly> anomalies = [];
            Add(_wrongType, Severity.Error, AnomalyCodes.TypeMismatch, $"values that are not {column.Kind.ToString().ToLowerInvariant()}");
            Add(_unseen, Severity.Warning, AnomalyCodes.UnseenCategory, "categories never seen in training");
            Add(_outOfRange, Severity.Warning, AnomalyCodes.OutOfRange, $"values outside the training range [{column.Min}, {column.Max}]");
            if (column.Missing == 0)
            {
                Add(_missing, Severity.Warning, AnomalyCodes.UnexpectedMissing, "missing values where training had none");
            }

            return anomalies;

            void Add(RowSample rows, Severity severity, string code, string what)
            {
                if (rows.Count > 0)
                {
                    anomalies.Add(new Anomaly(code, column.Name, rows.Count, severity, $"Column '{column.Name}' has {rows.Count} {what}.", rows.First));
                }
            }
        }
    }
}
