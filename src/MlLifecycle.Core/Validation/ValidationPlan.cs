using System.Text.Json.Serialization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Validation;

/// <summary>The holdout split and the cross-validation folds of a run (<c>split.json</c>); fold indices are row indices.</summary>
/// <param name="Sample">The train and validation rows model selection reads when there are more than
/// <see cref="TrainingSpec.SampleRows"/> of them (a stratified sample, ascending); null when it reads them all.</param>
public sealed record ValidationPlan(
    DataSplit Split,
    CvMethod Method,
    IReadOnlyList<Fold> Folds,
    IReadOnlyList<string> Trainers,
    int MaxConcurrency,
    [property: JsonConverter(typeof(IndexListConverter))] int[]? Sample = null)
{
    /// <summary>The rows a tuning trial trains on: the split's train rows, within the sample when there is one.</summary>
    [JsonIgnore]
    public int[] SelectionTrain => Within(Split.Train);

    /// <summary>The rows a tuning trial is scored on: the split's validation rows, within the sample when there is one.</summary>
    [JsonIgnore]
    public int[] SelectionValidation => Within(Split.Validation);

    private int[] Within(int[] rows) => Sample is null ? rows : [.. rows.Where(r => Array.BinarySearch(Sample, r) >= 0)];

    /// <summary>
    /// Plans the split and the folds from the spec. Folds cover the train + validation rows only. With an
    /// <c>orderBy</c> column the test split is the latest rows and folds are time-series folds by default.
    /// </summary>
    /// <param name="table">The cleaned rows (label present).</param>
    /// <param name="schema">Their schema.</param>
    /// <param name="spec">The resolved spec.</param>
    /// <param name="salt">What the hash-stable holdout mixes into each row's hash unless the spec names one: the model's name, so a model's rows keep their parts.</param>
    public static ValidationPlan Create(ColumnTable table, DatasetSchema schema, ProblemSpec spec, string salt)
    {
        var validation = spec.EffectiveValidation;
        var fractions = spec.EffectiveSplit;
        var labels = FeatureRows.Labels(table, schema);
        var order = validation.OrderBy is { } orderBy ? OrderValues(table, orderBy) : null;
        var split = order is null
            ? DataSplit.Hashed(RowContent.Of(table, schema), fractions.Salt ?? salt, fractions.Train, fractions.Validation, schema.IsClassification ? labels : null)
            : DataSplit.Chronological(order, fractions.Train, fractions.Validation);
        var method = validation.Method ?? (order is not null ? CvMethod.TimeSeries : schema.IsClassification ? CvMethod.StratifiedKFold : CvMethod.KFold);
        if (method == CvMethod.Holdout && split.Validation.Length == 0)
        {
            throw new DataValidationException(AnomalyCodes.TooFewRows, null, "Holdout validation needs a validation split (split.validation > 0).");
        }

        var sample = Stratified(split.Train.Concat(split.Validation).Order().ToArray(), schema.IsClassification ? labels : null, spec.EffectiveTraining.EffectiveSampleRows, spec.EffectiveSeed);
        var pool = sample ?? split.Train.Concat(split.Validation).Order().ToArray();
        var local = method switch
        {
            CvMethod.Holdout => [new Fold(0, [.. split.Train.Select(i => Array.BinarySearch(pool, i)).Where(i => i >= 0)], [.. split.Validation.Select(i => Array.BinarySearch(pool, i)).Where(i => i >= 0)])],
            CvMethod.KFold => Validation.Folds.KFold(pool.Length, validation.Folds, spec.EffectiveSeed),
            CvMethod.StratifiedKFold => Validation.Folds.StratifiedKFold(pool.Select(i => labels[i]).ToList(), validation.Folds, spec.EffectiveSeed),
            CvMethod.LeaveOneOut => Validation.Folds.LeaveOneOut(pool.Length),
            CvMethod.TimeSeries => Validation.Folds.TimeSeries(pool.Select(i => (order ?? throw new DataValidationException(AnomalyCodes.InvalidSpec, "validation.orderBy", "Time-series validation needs validation.orderBy."))[i]).ToList(), validation.Folds, validation.Sliding),
            _ => Validation.Folds.GroupKFold(pool.Select(i => Cell(table, validation.GroupBy!, i) ?? "(missing)").ToList(), validation.Folds, spec.EffectiveSeed),
        };
        var folds = local.Select(f => new Fold(f.Index, f.Train.Select(i => pool[i]).ToArray(), f.Validation.Select(i => pool[i]).ToArray())).ToList();
        return new ValidationPlan(split, method, folds, validation.Trainers ?? Training.Trainers.All, validation.MaxConcurrency, sample);
    }

    /// <summary>
    /// At most <paramref name="size"/> of <paramref name="rows"/> (ascending), seeded: each class (when
    /// <paramref name="strata"/> are given) in proportion, rounded, and at least the smaller of its rows and 10, so a
    /// rare class still reaches every fold; null when there are no more rows than that.
    /// </summary>
    public static int[]? Stratified(int[] rows, IReadOnlyList<string>? strata, int size, int seed)
    {
        if (rows.Length <= size)
        {
            return null;
        }

        var random = new Random(seed);
        List<int> sample = new(size + 64);
        foreach (var group in rows.GroupBy(r => strata?[r] ?? "", StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            var take = Math.Min(members.Length, Math.Max(10, (int)Math.Round((double)size * members.Length / rows.Length)));
            sample.AddRange(members[..take]);
        }

        sample.Sort();
        return [.. sample];
    }

    /// <summary>
    /// How a spec splits its rows, e.g. <c>typed-hash 0.7/0.15</c> or <c>chronological 0.7/0.15</c>. Two versions of a
    /// model split alike hold out the same rows: a row in one's test split was in neither's training rows (hash: by
    /// content; chronological: the latest rows, as long as the data grows by appending).
    /// </summary>
    public static string DescribeSplit(ProblemSpec spec) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(spec.EffectiveValidation.OrderBy is null ? HashRule : "chronological")} {spec.EffectiveSplit.Train}/{spec.EffectiveSplit.Validation}{(spec.EffectiveSplit.Salt is { } salt ? $" salt {salt}" : "")}");

    /// <summary>
    /// The hash split's rule: a row's typed values (<see cref="RowContent"/>), so CSV, CSV.gz and Parquet of the same
    /// rows split alike. Versions registered before it say <c>hash</c>: their rows' text was hashed.
    /// </summary>
    public const string HashRule = "typed-hash";

    /// <summary>Whether a version's recorded split was made by an earlier rule than today's for the same spec.</summary>
    public static bool SplitByEarlierRule(string? recorded, ProblemSpec spec) =>
        recorded is not null && recorded != DescribeSplit(spec) && recorded == "hash" + DescribeSplit(spec)[HashRule.Length..];

    private static Column Find(ColumnTable table, string column) =>
        table.Find(column) ?? throw new DataValidationException(AnomalyCodes.MissingColumn, column, $"The spec names column '{column}', which is not in the file.");

    private static string? Cell(ColumnTable table, string column, int row) => Find(table, column).Text(row);

    /// <summary>Sort keys of the order column: dates as ticks, numbers as themselves; missing values first.</summary>
    public static double[] OrderValues(ColumnTable table, string column)
    {
        var cells = Find(table, column);
        return [.. Enumerable.Range(0, table.RowCount).Select(i => cells.Date(i) is { } date ? date.Ticks : cells.Number(i) is var x && !double.IsNaN(x) ? x : double.MinValue)];
    }
}
