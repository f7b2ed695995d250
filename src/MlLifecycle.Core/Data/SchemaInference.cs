using System.Globalization;
using System.Text.RegularExpressions;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Data;

/// <summary>The schema of a dataset and the anomalies found while inferring it.</summary>
public sealed record Inspection(DatasetSchema Schema, IReadOnlyList<Anomaly> Anomalies)
{
    public bool Rejected => Anomalies.Any(a => a.Severity == Severity.Error);
}

/// <summary>
/// Infers column kinds and domains, the task and the class order, and finds cell-level anomalies (mixed types,
/// non-finite numbers, empty columns, CSV-injection cells). Declared kinds in the spec override inference.
/// </summary>
public static partial class SchemaInference
{
    public const int MaxCategoriesRecorded = 1000;

    /// <summary>An integer label with at most this many distinct values is read as classes, not a quantity.</summary>
    public const int MaxIntegerClasses = 10;

    /// <summary>A column whose present values are at least this share numeric is numeric with bad cells, not text.</summary>
    public const double MostlyNumeric = 0.9;

    private static readonly string[] PositiveNames = ["1", "true", "yes", "y", "positive", "pos"];
    private static readonly string[][] BooleanPairs = [["true", "false"], ["yes", "no"], ["t", "f"], ["y", "n"]];
    private static readonly HashSet<string> NonFiniteTokens =
        new(["nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "∞", "-∞"], StringComparer.OrdinalIgnoreCase);

    public static bool TryParseNumber(string value, out double number) => TryParseNumber(value.AsSpan(), out number);

    public static bool TryParseNumber(ReadOnlySpan<char> value, out double number) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);

    public static bool IsNonFinite(string value) => NonFiniteTokens.Contains(value.Trim());

    public static bool TryParseDate(string value, out DateTime date)
    {
        date = default;
        return DateLike().IsMatch(value) && DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out date);
    }

    public static bool? ParseBoolean(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "t" or "y" => true,
        "false" or "no" or "f" or "n" => false,
        _ => null,
    };

    /// <summary>A cell a spreadsheet would run as a formula (<c>=cmd|…</c>, <c>@SUM(…)</c>, <c>+A1(…)</c>).</summary>
    public static bool IsFormula(string value)
    {
        var cell = value.TrimStart('\t', '\r', ' ');
        return cell.Length > 1 && (cell[0] is '=' or '@' || (cell[0] is '+' or '-' && !char.IsDigit(cell[1]) && cell[1] != '.' && cell.Contains('(', StringComparison.Ordinal)));
    }

    /// <summary>Infers the schema, or throws on the first error anomaly (convenience for tests and tools).</summary>
    public static DatasetSchema Infer(ColumnTable data, string? label)
    {
        var inspection = Inspect(data, new ProblemSpec { Label = label });
        var error = inspection.Anomalies.FirstOrDefault(a => a.Severity == Severity.Error);
        return error is null ? inspection.Schema : throw new DataValidationException(error.Code, error.Column, error.Message, error.Count);
    }

    /// <summary>The label column of a table under a spec: the spec's, else the last column.</summary>
    /// <exception cref="DataValidationException">The spec's label is not a column.</exception>
    public static int LabelIndex(ColumnTable data, string? label)
    {
        var index = label is null ? data.Columns.Count - 1 : data.IndexOf(label);
        return index >= 0 ? index : throw new DataValidationException(
            AnomalyCodes.MissingLabel,
            label,
            $"The label column '{label}' is not in the file (columns: {string.Join(", ", data.Names)}).");
    }

    /// <summary>The rows that have a label; null when every row has one.</summary>
    public static int[]? Labelled(Column label)
    {
        var missing = 0;
        for (var r = 0; r < label.Length; r++)
        {
            missing += label.IsMissing(r) ? 1 : 0;
        }

        return missing == 0 ? null : [.. Enumerable.Range(0, label.Length).Where(r => !label.IsMissing(r))];
    }

    /// <summary>
    /// Infers the schema under a spec. Rows whose label is missing are left out. Each column is described on its own
    /// core: the columns are independent.
    /// </summary>
    /// <exception cref="DataValidationException">The label column is absent, empty or constant.</exception>
    public static Inspection Inspect(ColumnTable data, ProblemSpec spec)
    {
        var labelIndex = LabelIndex(data, spec.Label);
        var labelColumn = data[labelIndex];
        var rows = Labelled(labelColumn);
        var count = rows?.Length ?? data.RowCount;
        if (count == 0)
        {
            throw new DataValidationException(AnomalyCodes.LabelAllMissing, labelColumn.Name, $"Every value of the label column '{labelColumn.Name}' is missing.");
        }

        var cleaning = spec.EffectiveCleaning;
        var described = new (ColumnSchema Schema, List<Anomaly> Anomalies)[data.Columns.Count];
        Parallel.For(0, data.Columns.Count, i =>
        {
            var role = i != labelIndex && spec.Columns is { } declared && declared.TryGetValue(data[i].Name, out var r) ? r : (ColumnRole?)null;
            List<Anomaly> found = [];
            described[i] = (Describe(data[i], rows, count, role, cleaning, found, isLabel: i == labelIndex), found);
        });

        List<Anomaly> anomalies = [.. described[labelIndex].Anomalies];
        var labelSchema = described[labelIndex].Schema;
        var (task, classes, positive) = InferTask(labelSchema, labelColumn, rows, spec, anomalies);
        List<ColumnSchema> columns = [];
        for (var i = 0; i < data.Columns.Count; i++)
        {
            if (i != labelIndex)
            {
                columns.Add(described[i].Schema);
                anomalies.AddRange(described[i].Anomalies);
            }
        }

        foreach (var undeclared in (spec.Columns?.Keys ?? Enumerable.Empty<string>()).Where(c => data.IndexOf(c) < 0))
        {
            anomalies.Add(Anomaly.Warning(AnomalyCodes.MissingColumn, undeclared, $"The spec declares column '{undeclared}', which is not in the file."));
        }

        if (columns.All(c => c.Ignored is not null))
        {
            anomalies.Add(Anomaly.Error(AnomalyCodes.NoFeatures, null, "No column can be used as a feature (all are constant, empty, ignored or ID-like)."));
        }

        anomalies.AddRange(columns.Where(c => c.Ignored is not null && c.Missing < count)
            .Select(c => Anomaly.Warning(AnomalyCodes.ColumnIgnored, c.Name, $"Column '{c.Name}' is not used as a feature: {c.Ignored}.")));
        return new Inspection(new DatasetSchema(count, labelSchema, task, classes, positive, columns), anomalies);
    }

    private static ColumnSchema Describe(Column column, int[]? rows, int count, ColumnRole? role, CleaningSpec cleaning, List<Anomaly> anomalies, bool isLabel)
    {
        var name = column.Name;
        var census = Census.Of(column, rows, count);
        var (present, nonNumeric) = (count - census.Missing, census.NonNumeric.Count);
        var looksNumeric = present > 0 && nonNumeric == 0;
        var mostlyNumeric = present > 0 && nonNumeric > 0 && census.Numeric + census.NonFinite.Count >= MostlyNumeric * present;
        var kind = role switch
        {
            ColumnRole.Numeric => ColumnKind.Numeric,
            ColumnRole.Categorical => ColumnKind.Categorical,
            ColumnRole.Boolean => ColumnKind.Boolean,
            ColumnRole.Text => ColumnKind.Text,
            ColumnRole.DateTime => ColumnKind.DateTime,
            _ when looksNumeric => ColumnKind.Numeric,
            _ when present > 0 && census.Booleans == present && IsBooleanDomain(census.Texts().Select(t => t.Text)) => ColumnKind.Boolean,
            _ when present > 0 && census.Dates == present => ColumnKind.DateTime,
            _ when !isLabel && present >= 10 && census.Tokens >= 3.0 * present && census.Distinct > 0.5 * present => ColumnKind.Text,
            _ => ColumnKind.Categorical,
        };

        if (present == 0)
        {
            anomalies.Add(cleaning.DropEmptyColumns || isLabel
                ? Anomaly.Warning(AnomalyCodes.AllMissingColumn, name, $"Column '{name}' has no value; it is dropped.", count)
                : Anomaly.Error(AnomalyCodes.AllMissingColumn, name, $"Column '{name}' has no value in any row (set cleaning.dropEmptyColumns to drop such columns).", count));
        }

        if (kind == ColumnKind.Numeric && census.NonFinite.Count > 0)
        {
            anomalies.Add(Anomaly.Error(AnomalyCodes.NonFiniteValue, name, $"Column '{name}' has {census.NonFinite.Count} NaN or infinite values; leave missing cells empty or write NA.", census.NonFinite.Count, census.NonFinite.First));
        }

        if ((role == ColumnRole.Numeric && nonNumeric > 0) || (role is null && mostlyNumeric))
        {
            anomalies.Add(Anomaly.Error(AnomalyCodes.TypeMismatch, name, $"Column '{name}' is numeric but {nonNumeric} values are not numbers (e.g. '{census.Example}' in row {census.NonNumeric.First[0]}); declare it categorical in the spec's columns if that is intended.", nonNumeric, census.NonNumeric.First));
        }

        if (census.Formulas.Count > 0)
        {
            anomalies.Add(Anomaly.Error(AnomalyCodes.CsvInjection, name, $"Column '{name}' has {census.Formulas.Count} cells a spreadsheet would run as formulas (e.g. row {census.Formulas.First[0]}).", census.Formulas.Count, census.Formulas.First));
        }

        string? ignored = role == ColumnRole.Ignore ? "declared ignore in the spec"
            : present == 0 ? "all values missing"
            : cleaning.DropConstant && census.Distinct == 1 ? "constant"
            : cleaning.DropIdLike && kind == ColumnKind.Categorical && present > 20 && census.Distinct > 0.9 * present ? "ID-like (almost every value distinct)"
            : null;
        var numericKind = kind == ColumnKind.Numeric && double.IsFinite(census.Min);
        var categories = kind is ColumnKind.Categorical or ColumnKind.Boolean
            ? census.Texts().OrderByDescending(t => t.Count).ThenBy(t => t.Text, StringComparer.Ordinal).Take(MaxCategoriesRecorded).Select(t => t.Text).ToList()
            : null;
        return new ColumnSchema(name, kind, census.Missing, census.Distinct, numericKind ? census.Min : null, numericKind ? census.Max : null, categories, isLabel ? null : ignored);
    }

    private static bool IsBooleanDomain(IEnumerable<string> values)
    {
        var lower = values.Select(v => v.Trim().ToLowerInvariant()).ToHashSet();
        return BooleanPairs.Any(pair => lower.IsSubsetOf(pair));
    }

    private static (MlTask Task, IReadOnlyList<string>? Classes, string? Positive) InferTask(ColumnSchema label, Column column, int[]? rows, ProblemSpec spec, List<Anomaly> anomalies)
    {
        if (label.Distinct < 2)
        {
            throw new DataValidationException(AnomalyCodes.ConstantLabel, label.Name, $"The label column '{label.Name}' has a single value: there is nothing to learn.");
        }

        var numeric = label.Kind == ColumnKind.Numeric;
        var integers = numeric && Census.Rows(rows, column.Length).All(r => column.Number(r) is var x && x == Math.Floor(x));
        var task = spec.Task
            ?? (numeric && label.Distinct > 2 && !(integers && label.Distinct <= MaxIntegerClasses) ? MlTask.Regression
                : label.Distinct == 2 ? MlTask.BinaryClassification
                : MlTask.MulticlassClassification);
        if (task == MlTask.Regression)
        {
            if (!numeric)
            {
                anomalies.Add(Anomaly.Error(AnomalyCodes.LabelTaskMismatch, label.Name, $"The spec asks for regression but the label '{label.Name}' is not numeric."));
            }

            return (task, null, null);
        }

        if (task == MlTask.BinaryClassification && label.Distinct != 2)
        {
            anomalies.Add(Anomaly.Error(AnomalyCodes.LabelTaskMismatch, label.Name, $"The spec asks for binary classification but the label '{label.Name}' has {label.Distinct} classes."));
        }

        var counts = Census.Of(column, rows, rows?.Length ?? column.Length).Texts().ToDictionary(t => t.Text, t => t.Count, StringComparer.Ordinal);
        var classes = numeric
            ? counts.Keys.OrderBy(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList()
            : counts.Keys.Order(StringComparer.Ordinal).ToList();
        if (task == MlTask.MulticlassClassification)
        {
            return (task, classes, null);
        }

        if (spec.PositiveClass is { } declared && !classes.Contains(declared))
        {
            anomalies.Add(Anomaly.Error(AnomalyCodes.UnknownPositiveClass, label.Name, $"The spec's positiveClass '{declared}' is not a value of '{label.Name}' ({string.Join(", ", classes)})."));
        }

        var positive = spec.PositiveClass is { } p && classes.Contains(p) ? p
            : classes.FirstOrDefault(c => PositiveNames.Contains(c, StringComparer.OrdinalIgnoreCase))
            ?? classes.OrderBy(c => counts[c]).ThenByDescending(c => c, StringComparer.Ordinal).First();
        return (task, classes, positive);
    }

    // ISO-like (2024-03-01, 2024/3/1), month/day/year (3/1/2024), and month names (Mar 1 2024, March 1, 2024,
    // 1 Mar 2024, 01-Mar-2024); each with an optional time and offset. DateTime.TryParse then checks the names.
    [GeneratedRegex(@"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}|\d{1,2}[ -][A-Za-z]{3,9}\.?[ -]\d{4})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$")]
    private static partial Regex DateLike();
}
