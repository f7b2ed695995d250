using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;
using MlLifecycle.Core.Data;

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

    private TrainedModel(MLContext ml, ITransformer transformer, DataViewSchema inputSchema, DatasetSchema schema, string trainer)
    {
        _ml = ml;
        _transformer = transformer;
        _inputSchema = inputSchema;
        Schema = schema;
        Trainer = trainer;
    }

    public DatasetSchema Schema { get; }

    /// <summary>Name of the learning algorithm at the end of the chain.</summary>
    public string Trainer { get; }

    /// <summary>Fits the default chain for the schema's task on the given rows (training split only).</summary>
    public static TrainedModel Train(DatasetSchema schema, IReadOnlyList<string?[]> rows, IReadOnlyList<string> labels, int seed)
    {
        var ml = new MLContext(seed);
        var data = FeatureRows.ToDataView(schema, rows, labels);
        var pipeline = Featurize(ml, schema).Append(LightGbm(ml, schema, seed));
        var transformer = pipeline.Fit(data);
        return new TrainedModel(ml, transformer, data.Schema, schema, "LightGbm");
    }

    public static TrainedModel Load(Stream zip, DatasetSchema schema, string trainer)
    {
        var ml = new MLContext(0);
        var transformer = ml.Model.Load(zip, out var inputSchema);
        return new TrainedModel(ml, transformer, inputSchema, schema, trainer);
    }

    public void Save(Stream destination) => _ml.Model.Save(_transformer, _inputSchema, destination);

    /// <summary>Predicts rows of raw cells in <see cref="DatasetSchema.Features"/> order.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string?[]> rows)
    {
        var output = _transformer.Transform(FeatureRows.ToDataView(Schema, rows));
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
                return keys.Select((k, i) => new Prediction(
                    k == 0 ? null : classes[(int)k - 1],
                    null,
                    classes.Select((c, j) => (c, p: (double)scores[i][j])).ToDictionary(x => x.c, x => x.p))).ToList();
            default:
                return output.GetColumn<float>("Score").Select(s => new Prediction(null, s, null)).ToList();
        }
    }

    private static IEstimator<ITransformer> Featurize(MLContext ml, DatasetSchema schema)
    {
        var features = schema.Features;
        var numeric = Enumerable.Range(0, features.Count).Where(i => features[i].Kind == ColumnKind.Numeric).Select(FeatureRows.ColumnName).ToArray();
        var oneHot = Enumerable.Range(0, features.Count)
            .Where(i => features[i].Kind == ColumnKind.Categorical && features[i].Distinct <= OneHotMaxCategories)
            .Select(i => new InputOutputColumnPair($"{FeatureRows.ColumnName(i)}_oh", FeatureRows.ColumnName(i))).ToArray();
        var hashed = Enumerable.Range(0, features.Count)
            .Where(i => features[i].Kind == ColumnKind.Categorical && features[i].Distinct > OneHotMaxCategories)
            .Select(i => new InputOutputColumnPair($"{FeatureRows.ColumnName(i)}_hash", FeatureRows.ColumnName(i))).ToArray();

        IEstimator<ITransformer> chain = new EstimatorChain<ITransformer>();
        List<string> parts = [];
        if (numeric.Length > 0)
        {
            chain = chain.Append(ml.Transforms.Concatenate("numeric", numeric))
                .Append(ml.Transforms.ReplaceMissingValues("numeric", replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean));
            parts.Add("numeric");
        }

        if (oneHot.Length > 0)
        {
            chain = chain.Append(ml.Transforms.Categorical.OneHotEncoding(oneHot, OneHotEncodingEstimator.OutputKind.Indicator));
            parts.AddRange(oneHot.Select(p => p.OutputColumnName));
        }

        if (hashed.Length > 0)
        {
            chain = chain.Append(ml.Transforms.Categorical.OneHotHashEncoding(hashed, OneHotEncodingEstimator.OutputKind.Indicator, numberOfBits: 10));
            parts.AddRange(hashed.Select(p => p.OutputColumnName));
        }

        return chain.Append(ml.Transforms.Concatenate("Features", [.. parts]));
    }

    private static IEstimator<ITransformer> LightGbm(MLContext ml, DatasetSchema schema, int seed)
    {
        // Small data needs small leaves: LightGBM's default of 20 rows per leaf starves datasets of a few hundred rows.
        var minPerLeaf = Math.Clamp(schema.Rows / 100, 2, 20);
        return schema.Task switch
        {
            MlTask.BinaryClassification => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                LabelColumnName = FeatureRows.LabelColumn,
                Seed = seed,
                MinimumExampleCountPerLeaf = minPerLeaf,
            }),
            MlTask.MulticlassClassification => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = FeatureRows.LabelColumn,
                Seed = seed,
                MinimumExampleCountPerLeaf = minPerLeaf,
            }),
            _ => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = FeatureRows.LabelColumn,
                Seed = seed,
                MinimumExampleCountPerLeaf = minPerLeaf,
            }),
        };
    }
}
