using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Validation;

/// <summary>The holdout split and the cross-validation folds of a run (<c>split.json</c>); fold indices are row indices.</summary>
public sealed record ValidationPlan(DataSplit Split, CvMethod Method, IReadOnlyList<Fold> Folds, IReadOnlyList<string> Trainers, int MaxConcurrency)
{
    /// <summary>
    /// Plans the split and the folds from the spec. Folds cover the train + validation rows only. With an
    /// <c>orderBy</c> column the test split is the latest rows and folds are time-series folds by default.
    /// </summary>
    /// <param name="table">The cleaned rows (label present).</param>
    /// <param name="schema">Their schema.</param>
    /// <param name="spec">The resolved spec.</param>
    /// <param name="salt">What the hash-stable holdout mixes into each row's hash unless the spec names one: the model's name, so a model's rows keep their parts.</param>
    public static ValidationPlan Create(TabularData table, DatasetSchema schema, ProblemSpec spec, string salt)
    {
        var validation = spec.EffectiveValidation;
        var fractions = spec.EffectiveSplit;
        var (_, labels) = FeatureRows.FromTable(table, schema);
        var order = validation.OrderBy is { } orderBy ? OrderValues(table, orderBy) : null;
        var split = order is null
            ? DataSplit.Hashed(table.Rows, fractions.Salt ?? salt, fractions.Train, fractions.Validation, schema.IsClassification ? labels : null)
            : DataSplit.Chronological(order, fractions.Train, fractions.Validation);
        var method = validation.Method ?? (order is not null ? CvMethod.TimeSeries : schema.IsClassification ? CvMethod.StratifiedKFold : CvMethod.KFold);
        if (method == CvMethod.Holdout && split.Validation.Length == 0)
        {
            throw new DataValidationException(AnomalyCodes.TooFewRows, null, "Holdout validation needs a validation split (split.validation > 0).");
        }

        var pool = split.Train.Concat(split.Validation).Order().ToArray();
        var local = method switch
        {
            CvMethod.Holdout => [new Fold(0, split.Train.Select(i => Array.BinarySearch(pool, i)).ToArray(), split.Validation.Select(i => Array.BinarySearch(pool, i)).ToArray())],
            CvMethod.KFold => Validation.Folds.KFold(pool.Length, validation.Folds, spec.EffectiveSeed),
            CvMethod.StratifiedKFold => Validation.Folds.StratifiedKFold(pool.Select(i => labels[i]).ToList(), validation.Folds, spec.EffectiveSeed),
            CvMethod.LeaveOneOut => Validation.Folds.LeaveOneOut(pool.Length),
            CvMethod.TimeSeries => Validation.Folds.TimeSeries(pool.Select(i => (order ?? throw new DataValidationException(AnomalyCodes.InvalidSpec, "validation.orderBy", "Time-series validation needs validation.orderBy."))[i]).ToList(), validation.Folds, validation.Sliding),
            _ => Validation.Folds.GroupKFold(pool.Select(i => Cell(table, validation.GroupBy!, i) ?? "(missing)").ToList(), validation.Folds, spec.EffectiveSeed),
        };
        var folds = local.Select(f => new Fold(f.Index, f.Train.Select(i => pool[i]).ToArray(), f.Validation.Select(i => pool[i]).ToArray())).ToList();
        return new ValidationPlan(split, method, folds, validation.Trainers ?? Training.Trainers.All, validation.MaxConcurrency);
    }

    /// <summary>
    /// How a spec splits its rows, e.g. <c>hash 0.7/0.15</c> or <c>chronological 0.7/0.15</c>. Two versions of a model
    /// split alike hold out the same rows: a row in one's test split was in neither's training rows (hash: by content;
    /// chronological: the latest rows, as long as the data grows by appending).
    /// </summary>
    public static string DescribeSplit(ProblemSpec spec) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(spec.EffectiveValidation.OrderBy is null ? "hash" : "chronological")} {spec.EffectiveSplit.Train}/{spec.EffectiveSplit.Validation}{(spec.EffectiveSplit.Salt is { } salt ? $" salt {salt}" : "")}");

    private static string? Cell(TabularData table, string column, int row)
    {
        var index = table.IndexOf(column);
        return index < 0
            ? throw new DataValidationException(AnomalyCodes.MissingColumn, column, $"The spec names column '{column}', which is not in the file.")
            : table.Rows[row][index];
    }

    /// <summary>Sort keys of the order column: dates as ticks, numbers as themselves; missing values first.</summary>
    public static List<double> OrderValues(TabularData table, string column) =>
        Enumerable.Range(0, table.Rows.Count).Select(i => Cell(table, column, i) switch
        {
            { } v when SchemaInference.TryParseDate(v, out var date) => date.Ticks,
            { } v when SchemaInference.TryParseNumber(v, out var x) => x,
            _ => double.MinValue,
        }).ToList();
}
