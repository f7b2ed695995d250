using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Monitoring;

/// <summary>
/// What a model version is monitored against, stored as <c>baseline.json</c> with the version: a profile of each
/// feature over the rows it was trained and evaluated on, the profile of its predictions on the held-out test split,
/// and its test metrics. Numbers and categories (and booleans, as categories) are profiled; free text and dates are
/// not (a date column drifts by construction as time passes).
/// </summary>
/// <param name="Features">One profile per profiled feature, in the schema's order.</param>
/// <param name="Predictions">Predicted labels (classification, categorical) or scores (regression, numeric) on the test split.</param>
/// <param name="Metrics">Test-split metrics, the ones the gate used.</param>
/// <param name="PrimaryMetric">The metric concept drift is judged by.</param>
/// <param name="TestRows">Rows the predictions and metrics come from.</param>
public sealed record ModelBaseline(
    IReadOnlyList<FeatureProfile> Features,
    FeatureProfile Predictions,
    IReadOnlyDictionary<string, double> Metrics,
    string PrimaryMetric,
    int TestRows)
{
    /// <summary>Boolean features: their cells are compared as <c>true</c>/<c>false</c> whatever the spelling (<c>yes</c>, <c>True</c>, <c>1</c>…).</summary>
    public IReadOnlyList<string> BooleanFeatures { get; init; } = [];

    /// <summary>The name the prediction profile and its drift are reported under.</summary>
    public const string PredictionFeature = "prediction";

    /// <summary>Rows a feature profile is built from at most: its points and bins settle long before.</summary>
    public const int MaxRows = 1_000_000;

    /// <summary>Whether a column of this kind is profiled and tested for drift.</summary>
    public static bool Profiled(ColumnKind kind) => kind is ColumnKind.Numeric or ColumnKind.Categorical or ColumnKind.Boolean;

    /// <param name="schema">The version's schema.</param>
    /// <param name="rows">Feature values in <see cref="DatasetSchema.Features"/> order: the run's cleaned rows (at most <see cref="MaxRows"/> of them, spread).</param>
    /// <param name="testPredictions">The model's predictions on the test split.</param>
    public static ModelBaseline Build(DatasetSchema schema, FeatureSource rows, IReadOnlyList<Prediction> testPredictions, IReadOnlyDictionary<string, double> metrics, string primaryMetric)
    {
        var profiled = schema.Features.Select((column, index) => (column, index)).Where(f => Profiled(f.column.Kind)).ToList();
        var features = new FeatureProfile[profiled.Count];
        // One feature a core, its values in a pooled buffer: a million rows are 8 MB a feature.
        Parallel.For(0, profiled.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (column, index) = profiled[i];
            var all = Enumerable.Range(0, rows.Count);
            features[i] = column.Kind switch
            {
                ColumnKind.Numeric => FromNumbers(column.Name, rows, index),
                ColumnKind.Boolean => FeatureProfile.FromCategories(column.Name, all.Select(r => rows.Boolean(index, r) switch { 1 => "true", 0 => "false", _ => rows.Text(index, r) is { Length: > 0 } t ? t : null })),
                _ => FeatureProfile.FromCategories(column.Name, all.Select(r => rows.Text(index, r) is { Length: > 0 } t ? t : null)),
            };
        });
        return new ModelBaseline(features, ProfilePredictions(testPredictions), metrics, primaryMetric, testPredictions.Count)
        {
            BooleanFeatures = [.. schema.Features.Where(f => f.Kind == ColumnKind.Boolean).Select(f => f.Name)],
        };
    }

    private static FeatureProfile FromNumbers(string name, FeatureSource rows, int feature)
    {
        var values = Data.ColumnBuffers.Doubles.Rent(Math.Max(1, rows.Count));
        try
        {
            for (var r = 0; r < rows.Count; r++)
            {
                values[r] = rows.Number(feature, r);
            }

            return FeatureProfile.FromNumbers(name, values.AsSpan(0, rows.Count));
        }
        finally
        {
            Data.ColumnBuffers.Doubles.Return(values);
        }
    }

    /// <summary>The profile of one column's cells (null or unparseable numbers are missing).</summary>
    public static FeatureProfile Profile(string feature, ColumnKind kind, IEnumerable<string?> cells) => kind switch
    {
        ColumnKind.Numeric => FeatureProfile.FromNumbers(feature, Numbers(cells)),
        ColumnKind.Boolean => FeatureProfile.FromCategories(feature, Booleans(cells)),
        _ => FeatureProfile.FromCategories(feature, cells),
    };

    /// <summary>The profile of predictions: labels as categories when there are labels, else scores as numbers.</summary>
    public static FeatureProfile ProfilePredictions(IReadOnlyList<Prediction> predictions) =>
        predictions.Any(p => p.Label is not null)
            ? FeatureProfile.FromCategories(PredictionFeature, predictions.Select(p => p.Label))
            : FeatureProfile.FromNumbers(PredictionFeature, predictions.Select(p => p.Score ?? double.NaN).ToArray());

    /// <summary>
    /// Tests each profiled feature of a window against this baseline (columns by name; an absent column is reported,
    /// not tested) and reaches the window's verdict under the spec's thresholds.
    /// </summary>
    public DatasetDrift CompareFeatures(IReadOnlyDictionary<string, IReadOnlyList<string?>> window, Spec.DriftSpec spec)
    {
        var results = Features.Select(profile => (Profile: profile, Thresholds: spec.ThresholdsFor(profile.Feature))).Select(f => window.TryGetValue(f.Profile.Feature, out var cells)
            ? Compare(f.Profile, BooleanFeatures.Contains(f.Profile.Feature) ? [.. Booleans(cells)] : cells, f.Thresholds)
            : DriftDetector.Absent(f.Profile, f.Thresholds, "not in the window's data")).ToList();
        return DriftDetector.Summarize(results, spec.DriftedShare);
    }

    /// <summary>The window's predictions against the baseline's (its own test, not part of the feature verdict).</summary>
    public FeatureDrift ComparePredictions(IReadOnlyList<Prediction> predictions, Spec.DriftSpec spec)
    {
        var thresholds = spec.ThresholdsFor(PredictionFeature);
        var result = Predictions.Kind == FeatureKind.Categorical
            ? DriftDetector.Compare(Predictions, predictions.Select(p => p.Label), thresholds)
            : DriftDetector.Compare(Predictions, predictions.Select(p => p.Score ?? double.NaN).ToArray(), thresholds);
        return DriftDetector.Summarize([result], 0).Features[0];
    }

    private static FeatureDrift Compare(FeatureProfile profile, IReadOnlyList<string?> cells, DriftThresholds thresholds) =>
        profile.Kind == FeatureKind.Numeric
            ? DriftDetector.Compare(profile, Numbers(cells), thresholds)
            : DriftDetector.Compare(profile, cells, thresholds);

    private static IEnumerable<string?> Booleans(IEnumerable<string?> cells) =>
        cells.Select(c => c is null ? null : SchemaInference.ParseBoolean(c) switch { true => "true", false => "false", null => c });

    private static double[] Numbers(IEnumerable<string?> cells) =>
        [.. cells.Select(c => c is not null && SchemaInference.TryParseNumber(c, out var x) ? x : double.NaN)];
}
