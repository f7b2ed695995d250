using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Training;

/// <summary>One prediction: the class (with probabilities) for classification, the value for regression.</summary>
public sealed record Prediction(string? Label, double? Score, IReadOnlyDictionary<string, double>? Probabilities);

/// <summary>
/// A fitted ML.NET transformer chain (imputation, encodings, trainer) with the schema it was trained on.
/// <see cref="Predict"/> is thread-safe: each call builds its own data view and cursors.
/// </summary>
public sealed class TrainedModel
{
    /// <summary>Categorical columns with more distinct values than this are hashed instead of one-hot encoded.</summary>
    public const int OneHotMaxCategories = 64;

    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly DataViewSchema _inputSchema;

    private readonly IReadOnlyList<InputColumn> _inputs;

    private TrainedModel(MLContext ml, ITransformer transformer, DataViewSchema inputSchema, DatasetSchema schema, string trainer, TrainingDetails details)
    {
        _ml = ml;
        _transformer = transformer;
        _inputSchema = inputSchema;
        _inputs = FeatureRows.Inputs(schema);
        Schema = schema;
        Trainer = trainer;
        Details = details;
    }

    public DatasetSchema Schema { get; }

    /// <summary>Name of the learning algorithm at the end of the chain.</summary>
    public string Trainer { get; }

    /// <summary>What was fitted on the training rows (empty for a loaded model: see its manifest).</summary>
    public TrainingDetails Details { get; }

    /// <summary>
    /// Fits the default chain for the schema's task on the training split: numeric imputation, clipping and scaling
    /// and categorical imputation fitted on these rows only (outlier rows dropped first when the spec says so),
    /// then encodings and LightGBM.
    /// </summary>
    /// <param name="schema">The dataset schema.</param>
    /// <param name="rows">Training rows: raw feature cells in schema order.</param>
    /// <param name="labels">Their labels.</param>
    /// <param name="seed">Seed of ML.NET and the trainer.</param>
    /// <param name="cleaning">Imputation, outlier and scaling settings.</param>
    /// <param name="trainer">One of <see cref="Trainers.All"/>.</param>
    /// <param name="threads">Trainer threads (1 when several trainings share the machine; null = all cores).</param>
    /// <param name="hyperparameters">Tuned trainer options; null = defaults.</param>
    public static TrainedModel Train(DatasetSchema schema, IReadOnlyList<string?[]> rows, IReadOnlyList<string> labels, int seed, CleaningSpec? cleaning = null, string trainer = Trainers.LightGbm, int? threads = null, IReadOnlyDictionary<string, double>? hyperparameters = null)
    {
        cleaning ??= new CleaningSpec();
        var inputs = FeatureRows.Inputs(schema);
        var transforms = FitNumeric(inputs, rows, cleaning);
        var dropped = 0;
        if (cleaning.Outliers == OutlierPolicy.Drop)
        {
            var fences = inputs.Where(c => c.Kind == ColumnKind.Numeric)
                .Select(c => (c.Number!, Stats: NumericStats.Of(rows.Select(r => (double)c.Number!(r)).Where(double.IsFinite).ToList())))
                .Where(x => x.Stats is not null)
                .Select(x => (x.Item1, Fence: x.Stats!.Fences(cleaning.OutlierMethod)))
                .Where(x => x.Fence.Lower < x.Fence.Upper) // a column with IQR (or MAD, std) 0 has no outliers to drop
                .ToList();
            var keep = Enumerable.Range(0, rows.Count)
                .Where(i => fences.All(f => f.Item1(rows[i]) is var v && (!float.IsFinite(v) || (v >= f.Fence.Lower && v <= f.Fence.Upper))))
                .ToList();
            dropped = rows.Count - keep.Count;
            rows = keep.Select(i => rows[i]).ToList();
            labels = keep.Select(i => labels[i]).ToList();
            transforms = FitNumeric(inputs, rows, cleaning);
        }

        var fills = FitCategorical(inputs, rows, cleaning);
        var ml = new MLContext(seed);
        var data = FeatureRows.ToDataView(schema, inputs, rows, labels);
        var pipeline = Featurize(ml, schema, inputs, transforms, fills).Append(Trainers.Create(ml, trainer, schema, seed, threads, hyperparameters));
        var transformer = pipeline.Fit(data);
        return new TrainedModel(ml, transformer, data.Schema, schema, trainer, new TrainingDetails(rows.Count, dropped, transforms, fills));
    }

    public static TrainedModel Load(Stream zip, DatasetSchema schema, string trainer)
    {
        var ml = new MLContext(0);
        var transformer = ml.Model.Load(zip, out var inputSchema);
        return new TrainedModel(ml, transformer, inputSchema, schema, trainer, TrainingDetails.None);
    }

    public void Save(Stream destination) => _ml.Model.Save(_transformer, _inputSchema, destination);

    /// <summary>Predicts rows of raw cells in <see cref="DatasetSchema.Features"/> order.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string?[]> rows)
    {
        var output = _transformer.Transform(FeatureRows.ToDataView(Schema, _inputs, rows));
        switch (Schema.Task)
        {
            case MlTask.BinaryClassification:
                var positive = Schema.PositiveClass!;
                var negative = Schema.Classes!.First(c => c != positive);
                var probabilities = output.GetColumn<float>("Probability").ToList();
                var predicted = output.GetColumn<bool>("PredictedLabel").ToList();
                return probabilities.Select((p, i) => new Prediction(
                    predicted[i] ? positive : negative,
                    null,
                    new Dictionary<string, double> { [positive] = p, [negative] = 1 - p })).ToList();
            case MlTask.MulticlassClassification:
                var classes = Schema.Classes!;
                var keys = output.GetColumn<uint>("PredictedLabel").ToList();
                var scores = output.GetColumn<float[]>("Score").ToList();
                return keys.Select((k, i) =>
                {
                    // One-versus-all scores are per-class probabilities that need not add up to 1.
                    var total = scores[i].Sum(s => Math.Max(0, (double)s));
                    return new Prediction(
                        k == 0 ? null : classes[(int)k - 1],
                        null,
                        classes.Select((c, j) => (c, p: total > 0 ? Math.Max(0, scores[i][j]) / total : 1.0 / classes.Count)).ToDictionary(x => x.c, x => x.p));
                }).ToList();
            default:
                return output.GetColumn<float>("Score").Select(s => new Prediction(null, s, null)).ToList();
        }
    }

    private static List<NumericTransform> FitNumeric(IReadOnlyList<InputColumn> inputs, IReadOnlyList<string?[]> rows, CleaningSpec cleaning) =>
        inputs.Where(c => !c.IsText).Select(c => NumericTransform.Fit(c.Name, rows.Select(r => c.Number!(r)).ToList(), cleaning)).ToList();

    /// <summary>Fill values of categorical columns (mode of the training rows, or the spec's constant); none by default.</summary>
    private static Dictionary<string, string> FitCategorical(IReadOnlyList<InputColumn> inputs, IReadOnlyList<string?[]> rows, CleaningSpec cleaning)
    {
        Dictionary<string, string> fills = new(StringComparer.Ordinal);
        foreach (var input in inputs.Where(c => c.Kind == ColumnKind.Categorical))
        {
            var fill = cleaning.CategoricalImputation switch
            {
                CategoricalImputation.Mode => rows.Select(input.Text!).Where(v => v.Length > 0).GroupBy(v => v, StringComparer.Ordinal)
                    .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).FirstOrDefault()?.Key,
                CategoricalImputation.Constant => cleaning.FillCategory,
                _ => null,
            };

            // The expression language has no escapes: a fill value with quotes or backslashes keeps the missing category.
            if (fill is not null && !fill.Contains('"', StringComparison.Ordinal) && !fill.Contains('\\', StringComparison.Ordinal))
            {
                fills[input.Name] = fill;
            }
        }

        return fills;
    }

    private static IEstimator<ITransformer> Featurize(MLContext ml, DatasetSchema schema, IReadOnlyList<InputColumn> inputs, List<NumericTransform> transforms, Dictionary<string, string> fills)
    {
        IEstimator<ITransformer> chain = new EstimatorChain<ITransformer>();
        List<string> parts = [];
        foreach (var t in transforms)
        {
            chain = chain.Append(ml.Transforms.Expression($"{t.Column}_n", t.ToExpression(), t.Column));
        }

        if (transforms.Count > 0)
        {
            chain = chain.Append(ml.Transforms.Concatenate("numeric", transforms.Select(t => $"{t.Column}_n").ToArray()));
            parts.Add("numeric");
        }

        foreach (var input in inputs.Where(c => c.IsText))
        {
            var source = input.Name;
            if (fills.TryGetValue(input.Name, out var fill))
            {
                chain = chain.Append(ml.Transforms.Expression($"{input.Name}_filled", $"s => s == \"\" ? \"{fill}\" : s", input.Name));
                source = $"{input.Name}_filled";
            }

            var output = $"{input.Name}_enc";
            var feature = schema.Features[input.Feature];
            chain = feature.Kind == ColumnKind.Text
                ? chain.Append(ml.Transforms.Text.FeaturizeText(output, source))
                : feature.Distinct <= OneHotMaxCategories
                    ? chain.Append(ml.Transforms.Categorical.OneHotEncoding(output, source, OneHotEncodingEstimator.OutputKind.Indicator))
                    : chain.Append(ml.Transforms.Categorical.OneHotHashEncoding(output, source, OneHotEncodingEstimator.OutputKind.Indicator, numberOfBits: 10));
            parts.Add(output);
        }

        return chain.Append(ml.Transforms.Concatenate("Features", [.. parts]));
    }
}

/// <summary>What training fitted: rows used, outlier rows dropped, numeric transforms and categorical fill values.</summary>
public sealed record TrainingDetails(int Rows, int OutlierRowsDropped, IReadOnlyList<NumericTransform> NumericTransforms, IReadOnlyDictionary<string, string> CategoricalFills)
{
    public static readonly TrainingDetails None = new(0, 0, [], new Dictionary<string, string>());
}
