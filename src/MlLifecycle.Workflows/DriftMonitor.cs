using System.Globalization;
using System.Text.Json;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Experiments;
using MlLifecycle.Core.Monitoring;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>What to check: a window of the prediction log (<see cref="From"/>–<see cref="To"/>) or a CSV blob (<see cref="Data"/>, <c>container/path.csv</c>).</summary>
public sealed record DriftCheckRequest(string Model, string CheckId, DateTimeOffset? From = null, DateTimeOffset? To = null, string? Data = null);

/// <summary>The window a log check covered.</summary>
public sealed record DriftWindow(DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// Realized quality from ground truth against the baseline's test metrics.
/// <c>awaiting-labels</c> until <see cref="MinLabels"/> labelled rows; <c>degraded</c> when the primary metric is worse
/// than the baseline by more than <see cref="Tolerance"/> of it plus its sampling noise (1.645 bootstrap standard
/// errors of the current value: a one-sided 95 % bound, so a few hundred labels from an unchanged world do not count
/// as a degradation); else <c>ok</c>.
/// </summary>
/// <param name="Unmatched">Ground truth left out: not one of the model's classes (or not a number, for regression).</param>
/// <param name="StandardError">Bootstrap standard error of <see cref="Current"/>.</param>
public sealed record ConceptDrift(string State, long Labelled, int MinLabels, string Metric, double? Baseline, double? Current, double Tolerance, IReadOnlyDictionary<string, double>? Metrics, long Unmatched = 0, double? StandardError = null);

/// <summary>One drift check: the contract of <c>POST /api/models/{m}/drift</c> and of <c>drift --json</c>.</summary>
/// <param name="Drifted">The features' verdict (share of drifted features).</param>
/// <param name="Alert">Whether this check raises an alert: features drifted, predictions drifted, or concept degraded.</param>
public sealed record DriftReport(
    string Model,
    int Version,
    string CheckId,
    string Source,
    string? Data,
    DriftWindow? Window,
    long Rows,
    bool Drifted,
    double Share,
    double ShareThreshold,
    IReadOnlyList<FeatureDrift> Features,
    FeatureDrift? Prediction,
    ConceptDrift Concept,
    bool Alert,
    string Report,
    DateTimeOffset CheckedAt);

/// <summary>
/// Checks a model's champion for drift: the inputs of a log window or a CSV against the version's
/// <c>baseline.json</c> (data drift and data quality), its predictions (prediction drift) and, where ground truth is
/// known (feedback, or a label column in the CSV), its realized metrics (concept drift). Writes the report to
/// <c>artifacts/{model}/drift/{checkId}.json</c> and a row to the <c>drift</c> table; a repeat of the same check id
/// rewrites both with the same content.
/// </summary>
public sealed class DriftMonitor(ModelRegistry registry, ArtifactStore store, InferenceLogStore log, ModelCache models, TimeProvider time)
{
    /// <exception cref="DriftCheckException">No champion, no baseline, or unreadable data: nothing was recorded.</exception>
    public async Task<DriftReport> CheckAsync(DriftCheckRequest request, CancellationToken ct = default)
    {
        var model = request.Model;
        var version = await registry.FindVersionAsync(model, ModelRegistry.Champion, null, ct)
            ?? throw (await registry.ListVersionsAsync(model, ct) is { Count: > 0 }
                ? new DriftCheckException($"Model '{model}' has no champion to check.")
                : new DriftCheckException($"No model named '{model}' exists.", DriftCheckError.Missing));
        var folder = $"{model}/{version.Version}";
        var baseline = await store.TryReadAsync(ArtifactStore.Artifacts, $"{folder}/baseline.json", ct) is { } raw
            ? LifecycleJson.Deserialize<ModelBaseline>(raw.ToString())
            : throw new DriftCheckException($"{model} v{version.Version} has no baseline.json (it was trained before drift baselines were kept): retrain it to monitor it.");
        var spec = await store.TryReadAsync(ArtifactStore.Artifacts, $"{folder}/spec.json", ct) is { } specJson
            ? LifecycleJson.Deserialize<ProblemSpec>(specJson.ToString())
            : new ProblemSpec();
        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, $"{folder}/schema.json", ct);
        var window = request.Data is null ? await FromLogAsync(request, version.Version, schema, ct) : await FromDataAsync(request.Data, version, schema, ct);

        var drift = spec.EffectiveDrift;
        var features = baseline.CompareFeatures(window.Columns, drift);
        var prediction = window.Predictions.Count > 0 ? baseline.ComparePredictions(window.Predictions, drift) : null;
        var concept = Concept(baseline, schema, window.Labelled, drift) with { Unmatched = window.Unmatched };
        var now = time.GetUtcNow();
        var reportBlob = $"{model}/drift/{request.CheckId}.json";
        var report = new DriftReport(
            model,
            version.Version,
            request.CheckId,
            request.Data is null ? "log" : "data",
            request.Data,
            request.Data is null ? new DriftWindow(request.From!.Value, request.To!.Value) : null,
            window.Rows,
            features.Drifted,
            features.Share,
            features.ShareThreshold,
            features.Features,
            prediction,
            concept,
            features.Drifted || prediction?.Drifted == true || concept.State == Degraded,
            $"{ArtifactStore.Artifacts}/{reportBlob}",
            now);
        await store.WriteJsonAsync(ArtifactStore.Artifacts, reportBlob, report, ct);
        foreach (var feature in features.Features.Append(prediction).OfType<FeatureDrift>().Where(f => f.Psi is not null))
        {
            Telemetry.DriftScore.Record(feature.Psi!.Value, new("model", model), new("feature", feature == prediction ? "(prediction)" : feature.Feature), new("drifted", feature.Drifted));
        }

        await registry.RecordDriftCheckAsync(
            new DriftCheckRecord(model, request.CheckId, version.Version, report.Source, request.Data, report.Window?.From, report.Window?.To, report.Rows, report.Drifted, [.. features.Features.Where(f => f.Drifted).Select(f => f.Feature)], prediction?.Drifted == true, concept.State, report.Report, now),
            ct);
        return report;
    }

    /// <summary>Longest log window a check reads (a year and a day).</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromHours(24 * 366);

    public const string Degraded = "degraded";
    public const string AwaitingLabels = "awaiting-labels";

    /// <summary>Columns by feature name, the champion's predictions, and (actual, prediction) pairs where ground truth is known.</summary>
    private sealed record WindowData(long Rows, Dictionary<string, IReadOnlyList<string?>> Columns, List<Prediction> Predictions, List<(string Actual, Prediction Predicted)> Labelled, long Unmatched);

    private async Task<WindowData> FromLogAsync(DriftCheckRequest request, int version, DatasetSchema schema, CancellationToken ct)
    {
        if (request.From is not { } from || request.To is not { } to || to <= from || to - from > MaxWindow)
        {
            throw new DriftCheckException($"A log window needs a start before its end, at most {MaxWindow.TotalHours:F0} hours apart.", DriftCheckError.Invalid);
        }

        Dictionary<string, List<string?>> columns = new(StringComparer.Ordinal);
        List<Prediction> predictions = [];
        List<(string, Prediction)> labelled = [];
        long rows = 0, unmatched = 0;
        foreach (var (logged, actuals) in await log.ReadWindowAsync(request.Model, from, to, ct))
        {
            // Inputs of every version count for data drift; predictions and outcomes only the champion's own.
            for (var c = 0; c < logged.Features.Count; c++)
            {
                var column = columns.TryGetValue(logged.Features[c], out var list) ? list : columns[logged.Features[c]] = [];
                column.AddRange(logged.Rows.Select(r => c < r.Length ? r[c] : null));
            }

            rows += logged.Rows.Count;
            if (logged.Version != version)
            {
                continue;
            }

            predictions.AddRange(logged.Predictions);
            foreach (var (predicted, actual) in logged.Predictions.Zip(actuals ?? []))
            {
                if (Outcome.Label(actual, schema) is { } truth)
                {
                    labelled.Add((truth, predicted));
                }
                else
                {
                    unmatched++;
                }
            }
        }

        return new WindowData(rows, columns.ToDictionary(c => c.Key, c => (IReadOnlyList<string?>)c.Value, StringComparer.Ordinal), predictions, labelled, unmatched);
    }

    private async Task<WindowData> FromDataAsync(string data, ModelVersion version, DatasetSchema schema, CancellationToken ct)
    {
        var slash = data.IndexOf('/');
        if (slash <= 0 || data[..slash] is not (ArtifactStore.Monitoring or ArtifactStore.Datasets or ArtifactStore.Scoring) || !ArtifactStore.IsPlainBlobName(data[(slash + 1)..]))
        {
            throw new DriftCheckException($"Field 'data' must name a CSV blob in {ArtifactStore.Monitoring}/, {ArtifactStore.Datasets}/ or {ArtifactStore.Scoring}/ (container/path.csv), not '{data}'.", DriftCheckError.Invalid);
        }

        TabularData table;
        await using (var stream = await store.TryOpenReadAsync(data[..slash], data[(slash + 1)..], null, ct) ?? throw new DriftCheckException($"Blob '{data}' does not exist.", DriftCheckError.Missing))
        {
            try
            {
                table = CsvLoader.Read(stream);
            }
            catch (DataValidationException ex)
            {
                throw new DriftCheckException($"'{data}' is not a readable CSV: {ex.Message}", DriftCheckError.Invalid);
            }
        }

        var columns = table.Columns.Select((name, i) => (name, i)).ToDictionary(c => c.name, c => (IReadOnlyList<string?>)table.Rows.Select(r => r[c.i]).ToList(), StringComparer.Ordinal);
        var served = await models.LoadAsync(version);
        List<Prediction> predictions;
        try
        {
            predictions = [.. served.Predictor.Predict(PredictionInput.FromTable(table, schema, served.Required))];
        }
        catch (InvalidInputException ex)
        {
            throw new DriftCheckException($"'{data}' cannot be scored by {version.Model} v{version.Version}: {ex.Message}", DriftCheckError.Invalid);
        }

        var label = table.IndexOf(schema.Label.Name);
        var truths = label < 0 ? [] : table.Rows.Zip(predictions).Where(p => !string.IsNullOrEmpty(p.First[label])).Select(p => (Truth: Outcome.Label(p.First[label]!, schema), Predicted: p.Second)).ToList();
        List<(string, Prediction)> labelled = [.. truths.Where(t => t.Truth is not null).Select(t => (t.Truth!, t.Predicted))];
        return new WindowData(table.Rows.Count, columns, predictions, labelled, truths.Count - labelled.Count);
    }

    private static ConceptDrift Concept(ModelBaseline baseline, DatasetSchema schema, List<(string Actual, Prediction Predicted)> labelled, DriftSpec spec)
    {
        var metric = baseline.PrimaryMetric;
        var reference = baseline.Metrics.TryGetValue(metric, out var value) ? value : (double?)null;
        if (labelled.Count < spec.MinLabels)
        {
            return new ConceptDrift(AwaitingLabels, labelled.Count, spec.MinLabels, metric, reference, null, spec.MetricTolerance, null);
        }

        List<string> actual = [.. labelled.Select(l => l.Actual)];
        List<Prediction> predicted = [.. labelled.Select(l => l.Predicted)];
        var metrics = Metrics.For(schema, actual, predicted);
        var current = metrics.TryGetValue(metric, out var now) ? now : (double?)null;
        var error = current is null ? null : Metrics.BootstrapStandardError(schema, actual, predicted, metric);
        var drop = reference is { } r && current is { } c ? (PrimaryMetric.HigherIsBetter(metric) ? r - c : c - r) : (double?)null;
        var worse = drop is { } d && d > (spec.MetricTolerance * Math.Abs(reference!.Value)) + (Metrics.OneSidedZ95 * (error ?? 0));
        return new ConceptDrift(worse ? Degraded : "ok", labelled.Count, spec.MinLabels, metric, reference, current, spec.MetricTolerance, metrics, StandardError: error);
    }
}

/// <summary>Why a drift check cannot run.</summary>
public enum DriftCheckError
{
    /// <summary>The model has no champion, or its champion no baseline.</summary>
    NotCheckable,

    /// <summary>The model or the data blob does not exist.</summary>
    Missing,

    /// <summary>The request or its data is unusable (bad window, not a CSV, columns the model cannot score).</summary>
    Invalid,
}

/// <summary>A drift check that cannot run; the message says why. Nothing is recorded.</summary>
public sealed class DriftCheckException(string message, DriftCheckError error = DriftCheckError.NotCheckable) : Exception(message)
{
    public DriftCheckError Error { get; } = error;
}
