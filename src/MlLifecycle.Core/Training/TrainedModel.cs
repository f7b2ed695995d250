using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Text;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Training;

/// <summary>One prediction: the class (with probabilities) for classification, the value for regression.</summary>
public sealed record Prediction(string? Label, double? Score, IReadOnlyDictionary<string, double>? Probabilities);

/// <summary>A member of an ensemble and its weight (the weights add up to 1).</summary>
public sealed record EnsembleMember(string Trainer, double Weight);

/// <summary>
/// A fitted ML.NET transformer chain (imputation, encodings, trainer) with the schema it was trained on, or an
/// ensemble of such chains whose predictions are averaged with weights. <see cref="Predict"/> is thread-safe: each
/// call takes a scorer from a pool.
/// </summary>
public sealed class TrainedModel
{
    /// <summary>The entry that makes a saved model an ensemble: the members' files, trainers and weights.</summary>
    public const string EnsembleEntry = "ensemble.json";

    /// <summary>The trainer name of an ensemble.</summary>
    public const string EnsembleTrainer = "Ensemble";

    private static readonly TextFeaturizingEstimator.Options TextOptions = new()
    {
        WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = 2, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
        CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = 3, UseAllLengths = false, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
    };

    /// <summary>
    /// N-grams kept per free-text column: those with the most mutual information with the label on the training rows.
    /// Articles of a hundred words make 10⁵ n-grams, on which every tree trainer takes minutes a fold and the linear
    /// model's standardisation longer (reuters-grain: bench/README.md); a few thousand keep what predicts.
    /// </summary>
    public const int TextSlots = 2000;

    /// <summary>Bits of the hashed one-hot encoding of high-cardinality categorical columns.</summary>
    public const int HashBits = 10;

    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly DataViewSchema _inputSchema;

    /// <summary>The members of an ensemble with their weights; null for one chain.</summary>
    private readonly IReadOnlyList<(TrainedModel Model, double Weight)>? _members;

    private readonly IReadOnlyList<InputColumn> _inputs;

    /// <summary>Single-row scorers, one per concurrent caller at most (a scorer is not thread-safe).</summary>
    private readonly ConcurrentBag<RowScorer> _scorers = [];

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

    private TrainedModel(IReadOnlyList<(TrainedModel Model, double Weight)> members, TrainingDetails details)
        : this(members[0].Model._ml, members[0].Model._transformer, members[0].Model._inputSchema, members[0].Model.Schema, EnsembleTrainer, details)
    {
        _members = members;
    }

    /// <summary>The members and weights of an ensemble; null for one chain.</summary>
    public IReadOnlyList<EnsembleMember>? Members => _members?.Select(m => new EnsembleMember(m.Model.Trainer, m.Weight)).ToList();

    /// <summary>
    /// An ensemble: predictions are the weighted average of the members' class probabilities (the class is the most
    /// probable one) or values. Its details are its heaviest member's, with every member's inputs.
    /// </summary>
    public static TrainedModel Ensemble(IReadOnlyList<(TrainedModel Model, double Weight)> members)
    {
        var heaviest = members.MaxBy(m => m.Weight).Model.Details;
        return new TrainedModel(members, heaviest with
        {
            InputsOffered = members.Max(m => m.Model.Details.InputsOffered),
            ModelInputs = [.. members.SelectMany(m => m.Model.Details.ModelInputs).Distinct(StringComparer.Ordinal)],
            Transforms = [$"ensemble: {string.Join(", ", members.Select(m => $"{m.Model.Trainer} × {m.Weight:G4}"))}", .. heaviest.Transforms],
        });
    }

    public DatasetSchema Schema { get; }

    /// <summary>Name of the learning algorithm at the end of the chain.</summary>
    public string Trainer { get; }

    /// <summary>What was fitted on the training rows (empty for a loaded model: see its manifest).</summary>
    public TrainingDetails Details { get; }

    /// <summary>
    /// Fits the chain on the training split: selection of inputs, numeric imputation, missing indicators, clipping
    /// and scaling and categorical imputation fitted on these rows only (outlier rows dropped first when the spec says
    /// so), encodings, then the trainer — on these rows plus synthetic ones when the spec asks for augmentation.
    /// </summary>
    /// <param name="schema">The dataset schema.</param>
    /// <param name="rows">Training rows: raw feature values in schema order.</param>
    /// <param name="labels">Their labels.</param>
    /// <param name="seed">Seed of ML.NET, the trainer and augmentation.</param>
    /// <param name="spec">Cleaning, feature, selection and augmentation settings (null = defaults).</param>
    /// <param name="trainer">One of <see cref="Trainers.All"/>.</param>
    /// <param name="threads">Trainer threads (1 when several trainings share the machine; null = all cores).</param>
    /// <param name="hyperparameters">Tuned trainer options; null = defaults.</param>
    public static TrainedModel Train(DatasetSchema schema, FeatureSource rows, IReadOnlyList<string> labels, int seed, ProblemSpec? spec = null, string trainer = Trainers.LightGbm, int? threads = null, IReadOnlyDictionary<string, double>? hyperparameters = null)
    {
        spec ??= new ProblemSpec();
        var cleaning = spec.EffectiveCleaning;
        var features = spec.EffectiveFeatures;
        var inputs = FeatureRows.Inputs(schema).Where(c => trainer == Trainers.Linear || !c.IsCyclic).ToList();
        var dropped = 0;
        if (cleaning.Outliers == OutlierPolicy.Drop)
        {
            var fences = inputs.Where(c => c.Kind == ColumnKind.Numeric)
                .Select(c => (c.Number!, Stats: NumericStats.Of(Rows(rows).Select(r => (double)c.Number!(rows, r)).Where(double.IsFinite).ToList())))
                .Where(x => x.Stats is not null)
                .Select(x => (x.Item1, Fence: x.Stats!.Fences(cleaning.OutlierMethod)))
                .Where(x => x.Fence.Lower < x.Fence.Upper) // a column with IQR (or MAD, std) 0 has no outliers to drop
                .ToList();
            int[] keep = [.. Rows(rows).Where(i => fences.All(f => f.Item1(rows, i) is var v && (!float.IsFinite(v) || (v >= f.Fence.Lower && v <= f.Fence.Upper))))];
            dropped = rows.Count - keep.Length;
            rows = rows.Subset(keep);
            labels = new Picked<string>(labels, keep);
        }

        var offered = inputs.Count;
        var selection = Select(schema, inputs, rows, labels, features.EffectiveSelection);
        inputs = inputs.Where(c => selection.Kept.Contains(c.Name) || !IsCandidate(schema, c)).ToList();
        var transforms = FitNumeric(inputs, rows, cleaning, features.MissingIndicators);
        var fills = FitCategorical(inputs, rows, cleaning);
        var (fitRows, fitLabels, augmentation) = Augmentation.Apply(schema, rows, labels, spec.Augmentation ?? new AugmentationSpec(), seed);
        var ml = new MLContext(seed);
        var classWeights = ClassWeights(schema, fitLabels, hyperparameters?.GetValueOrDefault(Trainers.ClassWeightPower) ?? 0);
        var data = FeatureRows.ToDataView(schema, FeatureRows.Inputs(schema), fitRows, fitLabels, classWeights);
        var (chain, steps) = Featurize(ml, schema, inputs, transforms, fills, features.OneHotMaxCategories);
        int? smallestClass = schema.IsClassification ? fitLabels.CountBy(l => l, StringComparer.Ordinal).Min(c => c.Value) : null;
        var transformer = chain.Append(Trainers.Create(ml, trainer, schema, seed, threads, hyperparameters, smallestClass, classWeights is not null)).Fit(data);
        steps.Add($"trainer: {trainer} ({schema.Task}){(hyperparameters is { Count: > 0 } ? " " + string.Join(", ", hyperparameters.Select(h => $"{h.Key} = {h.Value:G6}")) : "")}");
        return new TrainedModel(ml, transformer, data.Schema, schema, trainer, new TrainingDetails(rows.Count, dropped, transforms, fills)
        {
            InputsOffered = offered,
            ModelInputs = [.. inputs.Select(c => c.Name)],
            Selection = selection,
            Augmentation = augmentation,
            Transforms = steps,
        });
    }

    /// <summary>
    /// Loads a saved model: one ML.NET chain, or an ensemble (a zip of <see cref="EnsembleEntry"/> and the members' zips).
    /// Each zip passes <see cref="ModelArchive.Check"/> before ML.NET reads it.
    /// </summary>
    /// <exception cref="InvalidDataException">A zip is damaged, a zip bomb, or names paths outside itself.</exception>
    public static TrainedModel Load(Stream zip, DatasetSchema schema, string trainer)
    {
        var buffer = new MemoryStream();
        zip.CopyTo(buffer);
        ModelArchive.Check(buffer);
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Read, leaveOpen: true))
        {
            if (archive.GetEntry(EnsembleEntry) is { } entry)
            {
                using var manifest = entry.Open();
                var members = JsonSerializer.Deserialize<List<SavedMember>>(manifest) ?? [];
                if (members.Count is 0 or > EnsembleSelection.MaxMembers || members.Any(m => !double.IsFinite(m.Weight) || m.Weight <= 0) || Math.Abs(members.Sum(m => m.Weight) - 1) > 1e-6)
                {
                    throw new InvalidDataException($"The ensemble must have 1 to {EnsembleSelection.MaxMembers} members with positive weights adding up to 1.");
                }

                return Ensemble([.. members.Select(m =>
                {
                    using var member = (archive.GetEntry(m.File) ?? throw new InvalidDataException($"The ensemble has no member file '{m.File}'.")).Open();
                    var copy = new MemoryStream();
                    member.CopyTo(copy);
                    ModelArchive.Check(copy);
                    return (LoadChain(copy, schema, m.Trainer), m.Weight);
                })]);
            }
        }

        buffer.Position = 0;
        return LoadChain(buffer, schema, trainer);
    }

    /// <summary>One ML.NET chain (an ensemble's member is never an ensemble).</summary>
    /// <summary>
    /// Row weights by class, (largest class ÷ class)^power, scaled so that the weights sum to the row count; null for
    /// regression or power 0 (every row counts once). Power 1 balances the classes; 0.5 goes half way (on a log scale).
    /// </summary>
    internal static Dictionary<string, float>? ClassWeights(DatasetSchema schema, IReadOnlyList<string> labels, double power)
    {
        if (!schema.IsClassification || power <= 0)
        {
            return null;
        }

        var counts = labels.CountBy(l => l).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var largest = counts.Values.Max();
        var raw = counts.ToDictionary(c => c.Key, c => Math.Pow((double)largest / c.Value, power), StringComparer.Ordinal);
        var scale = labels.Count / counts.Sum(c => c.Value * raw[c.Key]);
        return raw.ToDictionary(c => c.Key, c => (float)(c.Value * scale), StringComparer.Ordinal);
    }

    private static TrainedModel LoadChain(Stream buffer, DatasetSchema schema, string trainer)
    {
        var ml = new MLContext(0);
        var transformer = ml.Model.Load(buffer, out var inputSchema);
        return new TrainedModel(ml, transformer, inputSchema, schema, trainer, TrainingDetails.None);
    }

    /// <summary>
    /// Saves the chain as ML.NET does, with fixed entry times; an ensemble as a zip of <see cref="EnsembleEntry"/> and one
    /// zip per member. The same model saves to the same bytes.
    /// </summary>
    public void Save(Stream destination)
    {
        using var archive = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        if (_members is null)
        {
            // ML.NET stamps each entry with the time of saving; the same entries with a fixed time make the same bytes,
            // so retraining a version reproduces its SHA-256.
            using var original = new MemoryStream();
            _ml.Model.Save(_transformer, _inputSchema, original);
            using var chain = new ZipArchive(original, ZipArchiveMode.Read);
            foreach (var entry in chain.Entries)
            {
                using var content = new MemoryStream();
                using (var source = entry.Open())
                {
                    source.CopyTo(content);
                }

                Write(entry.FullName, content.ToArray(), CompressionLevel.Optimal);
            }

            return;
        }

        var saved = _members.Select((m, i) => new SavedMember($"member-{i}.zip", m.Model.Trainer, m.Weight)).ToList();
        Write(EnsembleEntry, JsonSerializer.SerializeToUtf8Bytes(saved));
        foreach (var (member, file) in _members.Zip(saved, (m, f) => (m.Model, f.File)))
        {
            using var bytes = new MemoryStream();
            member.Save(bytes);
            Write(file, bytes.ToArray());
        }

        void Write(string name, byte[] content, CompressionLevel level = CompressionLevel.NoCompression)
        {
            var entry = archive.CreateEntry(name, level);
            entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var stream = entry.Open();
            stream.Write(content);
        }
    }

    private sealed record SavedMember(string File, string Trainer, double Weight);

    /// <summary>Fits the chain on rows of raw cells in <see cref="DatasetSchema.Features"/> order (small data, tests).</summary>
    public static TrainedModel Train(DatasetSchema schema, IReadOnlyList<string?[]> rows, IReadOnlyList<string> labels, int seed, ProblemSpec? spec = null, string trainer = Trainers.LightGbm, int? threads = null, IReadOnlyDictionary<string, double>? hyperparameters = null) =>
        Train(schema, FeatureSource.FromCells(rows), labels, seed, spec, trainer, threads, hyperparameters);

    /// <summary>Predicts rows of raw cells in <see cref="DatasetSchema.Features"/> order (requests, batch chunks).</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string?[]> rows) => Predict(FeatureSource.FromCells(rows));

    /// <summary>
    /// Predicts rows one after another through one pooled <see cref="RowScorer"/>. Measured on the credit-g chain, that
    /// costs about 10 µs a row, where a data view over all rows costs 40–60 µs a row plus about 3 ms a call (ML.NET
    /// rebuilds the chain's schema and splits cursors).
    /// </summary>
    public IReadOnlyList<Prediction> Predict(FeatureSource rows)
    {
        if (_members is not null)
        {
            var outputs = _members.Select(m => (Predictions: m.Model.Predict(rows), m.Weight)).ToList();
            return [.. Enumerable.Range(0, rows.Count).Select(i => PredictionVectors.ToPrediction(Schema, PredictionVectors.Weighted(outputs.Select(o => (PredictionVectors.Of(Schema, o.Predictions[i]), o.Weight)))))];
        }

        var scorer = Rent();
        try
        {
            var predictions = new Prediction[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                predictions[i] = scorer.Predict(rows, i);
            }

            return predictions;
        }
        finally
        {
            _scorers.Add(scorer);
        }
    }

    /// <summary>ML.NET's own path: one data view over all rows through the chain. The reference the row scorer is tested against.</summary>
    internal IReadOnlyList<Prediction> PredictThroughDataView(IReadOnlyList<string?[]> rows)
    {
        if (_members is not null)
        {
            throw new NotSupportedException("An ensemble has no single data view path.");
        }

        var output = _transformer.Transform(FeatureRows.ToDataView(Schema, _inputs, FeatureSource.FromCells(rows)));
        switch (Schema.Task)
        {
            case MlTask.BinaryClassification:
                var probabilities = output.GetColumn<float>("Probability").ToList();
                var predicted = output.GetColumn<bool>("PredictedLabel").ToList();
                return probabilities.Select((p, i) => Predictions.Binary(Schema, predicted[i], p)).ToList();
            case MlTask.MulticlassClassification:
                var keys = output.GetColumn<uint>("PredictedLabel").ToList();
                var scores = output.GetColumn<float[]>("Score").ToList();
                return keys.Select((k, i) => Predictions.Multiclass(Schema, k, scores[i])).ToList();
            default:
                return output.GetColumn<float>("Score").Select(Predictions.Regression).ToList();
        }
    }

    /// <summary>Predicts one row.</summary>
    public Prediction PredictOne(string?[] row) => Predict([row])[0];

    /// <summary>A scorer from the pool, or a new one when every pooled scorer is in use (a scorer is not thread-safe).</summary>
    private RowScorer Rent() => _scorers.TryTake(out var scorer) ? scorer : new RowScorer(_transformer, Schema, _inputs);

    /// <summary>Numeric transforms of the non-text inputs; numeric and boolean inputs with missing training values get a missing indicator when asked.</summary>
    /// <summary>
    /// Training rows a numeric transform's statistics are fitted on at most (spread evenly through larger tables): a
    /// median or a quartile of a million rows is as good as of ten million, and its values are sorted in memory.
    /// </summary>
    public const int FitRows = 1_000_000;

    private static List<NumericTransform> FitNumeric(IReadOnlyList<InputColumn> inputs, FeatureSource rows, CleaningSpec cleaning, bool indicators)
    {
        if (rows.Count > FitRows)
        {
            rows = rows.Subset(FeatureSource.Spread(rows.Count, FitRows));
        }

        // One pooled buffer for every input's values: the inputs are read one after another, not held at once.
        var buffer = ColumnBuffers.Floats.Rent(Math.Max(1, rows.Count));
        try
        {
            return [.. inputs.Where(c => !c.IsText).Select(c =>
            {
                var values = buffer.AsSpan(0, rows.Count);
                for (var r = 0; r < values.Length; r++)
                {
                    values[r] = c.Number!(rows, r);
                }

                var transform = NumericTransform.Fit(c.Name, values, cleaning);
                return indicators && c.Kind is ColumnKind.Numeric or ColumnKind.Boolean && HasMissing(values) ? transform with { Indicator = true } : transform;
            })];
        }
        finally
        {
            ColumnBuffers.Floats.Return(buffer);
        }

        static bool HasMissing(ReadOnlySpan<float> values)
        {
            foreach (var v in values)
            {
                if (float.IsNaN(v))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Training rows selection reads at most.</summary>
    public const int SelectionRows = 250_000;

    private static IEnumerable<int> Rows(FeatureSource rows) => Enumerable.Range(0, rows.Count);

    /// <summary>Free text is always kept; every other input may be dropped by selection.</summary>
    private static bool IsCandidate(DatasetSchema schema, InputColumn input) => !(input.IsText && schema.Features[input.Feature].Kind == ColumnKind.Text);

    /// <summary>
    /// Selection on the training rows, or on <see cref="SelectionRows"/> of them spread evenly through a larger table:
    /// mutual information and correlations settle long before that, and each candidate's values are held in memory.
    /// </summary>
    private static SelectionResult Select(DatasetSchema schema, IReadOnlyList<InputColumn> inputs, FeatureSource rows, IReadOnlyList<string> labels, SelectionSpec spec)
    {
        if (rows.Count > SelectionRows)
        {
            var sample = FeatureSource.Spread(rows.Count, SelectionRows);
            (rows, labels) = (rows.Subset(sample), new Picked<string>(labels, sample));
        }

        var candidates = inputs.Where(c => IsCandidate(schema, c))
            .Select(c => c.IsText
                ? new SelectionCandidate(c.Name, null, [.. Rows(rows).Select(r => c.Text!(rows, r))])
                : new SelectionCandidate(c.Name, [.. Rows(rows).Select(r => c.Number!(rows, r))], null))
            .ToList();
        return candidates.Count == 0 ? new SelectionResult([], []) : FeatureSelection.Select(candidates, labels, !schema.IsClassification, spec);
    }

    /// <summary>Fill values of categorical columns (mode of the training rows, or the spec's constant); none by default.</summary>
    private static Dictionary<string, string> FitCategorical(IReadOnlyList<InputColumn> inputs, FeatureSource rows, CleaningSpec cleaning)
    {
        Dictionary<string, string> fills = new(StringComparer.Ordinal);
        foreach (var input in inputs.Where(c => c.Kind == ColumnKind.Categorical))
        {
            var fill = cleaning.CategoricalImputation switch
            {
                CategoricalImputation.Mode => Rows(rows).Select(r => input.Text!(rows, r)).Where(v => v.Length > 0).GroupBy(v => v, StringComparer.Ordinal)
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

    /// <summary>The featurizing part of the chain, and a line per step with its parameters for the manifest.</summary>
    private static (IEstimator<ITransformer> Chain, List<string> Steps) Featurize(MLContext ml, DatasetSchema schema, IReadOnlyList<InputColumn> inputs, List<NumericTransform> transforms, Dictionary<string, string> fills, int oneHotMaxCategories)
    {
        // One flat chain: IEstimator.Append nests a new chain per call, and fitting a chain nested 2,000 deep (one
        // expression per column of a wide dataset) recomputes every inner schema at every level.
        var chain = new EstimatorChain<ITransformer>();
        List<string> parts = [], steps = [], numeric = [];
        foreach (var t in transforms)
        {
            chain = chain.Append<ITransformer>(ml.Transforms.Expression($"{t.Column}_n", t.ToExpression(), t.Column));
            steps.Add($"{t.Column}: {t.ToExpression()}");
            numeric.Add($"{t.Column}_n");
            if (t.Indicator)
            {
                chain = chain.Append<ITransformer>(ml.Transforms.IndicateMissingValues($"{t.Column}_na", t.Column))
                    .Append<ITransformer>(ml.Transforms.Conversion.ConvertType($"{t.Column}_isna", $"{t.Column}_na", DataKind.Single));
                steps.Add($"{t.Column}_isna: 1 when {t.Column} is missing, else 0");
                numeric.Add($"{t.Column}_isna");
            }
        }

        if (numeric.Count > 0)
        {
            chain = chain.Append<ITransformer>(ml.Transforms.Concatenate("numeric", [.. numeric]));
            parts.Add("numeric");
        }

        foreach (var input in inputs.Where(c => c.IsText))
        {
            var source = input.Name;
            if (fills.TryGetValue(input.Name, out var fill))
            {
                chain = chain.Append<ITransformer>(ml.Transforms.Expression($"{input.Name}_filled", $"s => s == \"\" ? \"{fill}\" : s", input.Name));
                steps.Add($"{input.Name}: missing → '{fill}'");
                source = $"{input.Name}_filled";
            }

            var output = $"{input.Name}_enc";
            var feature = schema.Features[input.Feature];
            var (estimator, step) = feature.Kind == ColumnKind.Text
                ? ((IEstimator<ITransformer>)ml.Transforms.Text.FeaturizeText(output, TextOptions, source).Append(ml.Transforms.FeatureSelection.SelectFeaturesBasedOnMutualInformation(output, output, FeatureRows.LabelColumn, TextSlots)),
                    $"TF-IDF of word 1–2-grams and character 3-grams (L2-normalised over all n-grams); the {TextSlots} n-grams with the most mutual information with the label")
                : feature.Distinct <= oneHotMaxCategories
                    ? (ml.Transforms.Categorical.OneHotEncoding(output, source, OneHotEncodingEstimator.OutputKind.Indicator), $"one-hot ({feature.Distinct} categories ≤ {oneHotMaxCategories})")
                    : (ml.Transforms.Categorical.OneHotHashEncoding(output, source, OneHotEncodingEstimator.OutputKind.Indicator, numberOfBits: HashBits), $"hashed one-hot, {HashBits} bits ({feature.Distinct} categories > {oneHotMaxCategories})");
            chain = chain.Append(estimator);
            steps.Add($"{input.Name}: {step}");
            parts.Add(output);
        }

        return (chain.Append<ITransformer>(ml.Transforms.Concatenate("Features", [.. parts])), steps);
    }
}

/// <summary>
/// What training fitted: rows used, outlier rows dropped, numeric transforms and categorical fill values, the
/// selection of inputs, the synthetic rows added, and the chain's steps with their parameters.
/// </summary>
public sealed record TrainingDetails(int Rows, int OutlierRowsDropped, IReadOnlyList<NumericTransform> NumericTransforms, IReadOnlyDictionary<string, string> CategoricalFills)
{
    /// <summary>Inputs offered to selection and the chain (for a tree trainer, without the cyclic date encodings).</summary>
    public int InputsOffered { get; init; }

    /// <summary>The inputs the chain reads, after selection.</summary>
    public IReadOnlyList<string> ModelInputs { get; init; } = [];

    public SelectionResult? Selection { get; init; }

    public AugmentationReport? Augmentation { get; init; }

    public IReadOnlyList<string> Transforms { get; init; } = [];

    public static readonly TrainingDetails None = new(0, 0, [], new Dictionary<string, string>());
}
