using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>
/// The work behind each activity. Every stage reads its inputs from the run's working folder in Blob storage and
/// writes deterministic blob names, so an activity delivered twice does the same thing twice.
/// </summary>
public sealed class LifecycleStages(
    ArtifactStore store,
    ModelRegistry registry,
    TimeProvider time,
    IOptions<LifecycleOptions> options,
    ILogger<LifecycleStages> logger,
    RunDataCache cache,
    ChampionScorer championScorer)
{
    /// <summary>
    /// Reads the upload and the spec, infers the schema, finds anomalies (also against the champion's schema), cleans
    /// rows, profiles the data, and stores cleaned data, schema, spec and quality report in the run's folder.
    /// </summary>
    public async Task<ValidationOutcome> ValidateAsync(RunContext run)
    {
        var properties = await store.TryGetPropertiesAsync(ArtifactStore.Datasets, run.Dataset);
        if (properties is null)
        {
            return Rejected(Anomaly.Error(AnomalyCodes.DatasetNotFound, null, $"Blob 'datasets/{run.Dataset}' does not exist."));
        }

        if (run.ETag is { } etag && !ArtifactStore.SameETag(properties.ETag.ToString(), etag))
        {
            return Rejected(Anomaly.Error(AnomalyCodes.DatasetReplaced, null, $"Blob 'datasets/{run.Dataset}' was replaced after this run started; the new version has its own run."));
        }

        if (properties.ContentLength > options.Value.MaxDatasetBytes)
        {
            return Rejected(Anomaly.Error(AnomalyCodes.FileTooLarge, null, $"The file has {properties.ContentLength} bytes; the limit is {options.Value.MaxDatasetBytes} (MlLifecycle:MaxDatasetBytes)."));
        }

        ProblemSpec spec;
        try
        {
            spec = await ResolveSpecAsync(run, properties.Metadata);
        }
        catch (SpecException ex)
        {
            return Rejected([.. ex.Errors.Select(e => Anomaly.Error(AnomalyCodes.InvalidSpec, e.Field, $"Invalid spec field '{e.Field}': {e.Message}."))]);
        }

        if (await store.TryReadAsync(ArtifactStore.Datasets, run.Dataset, run.ETag) is not { } content)
        {
            return Rejected(Anomaly.Error(AnomalyCodes.DatasetReplaced, null, $"Blob 'datasets/{run.Dataset}' was replaced or deleted while this run read it."));
        }

        try
        {
            var data = CsvLoader.Read(content.ToStream());
            var inspection = SchemaInference.Inspect(data, spec);
            List<Anomaly> anomalies = [.. inspection.Anomalies, .. await CompareWithChampionAsync(run.Model, data)];
            if (inspection.Rejected)
            {
                logger.LogInformation("Run {RunId} rejected: {Codes}", run.RunId, string.Join(", ", anomalies.Where(a => a.Severity == Severity.Error).Select(a => a.Code)));
                return Rejected(anomalies);
            }

            try
            {
                // Metrics, costs and criteria are checked again now that the task is known.
                SpecReader.Validate(spec with { Task = inspection.Schema.Task });
            }
            catch (SpecException ex)
            {
                return Rejected([.. ex.Errors.Select(e => Anomaly.Error(AnomalyCodes.InvalidSpec, e.Field, $"Invalid spec field '{e.Field}' for a {inspection.Schema.Task} label: {e.Message}."))]);
            }

            var cleaning = Cleaner.Clean(data, inspection.Schema, spec.EffectiveCleaning);
            var (table, schema) = HistoryFields.Declare(cleaning.Data, inspection.Schema, spec);
            ValidationPlan.Create(table, schema, spec);
            var report = QualityReport.Build(data, inspection.Schema, anomalies, cleaning);
            var resolved = spec with { Label = schema.Label.Name, Task = schema.Task, PositiveClass = schema.PositiveClass, Seed = spec.EffectiveSeed };
            resolved = resolved with { PrimaryMetric = PrimaryMetric.Choose(resolved, schema, report.ImbalanceRatio) };
            using (var cleaned = new MemoryStream())
            {
                CsvLoader.Write(table, cleaned);
                await store.WriteAsync(ArtifactStore.Artifacts, run.DataBlob, BinaryData.FromBytes(cleaned.ToArray()));
            }

            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SchemaBlob, schema);
            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SpecBlob, resolved);
            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.QualityBlob, report);
            logger.LogInformation("Run {RunId}: {Rows} rows ({Duplicates} duplicates removed), task {Task}, label {Label}, primary metric {Metric}", run.RunId, schema.Rows, cleaning.DuplicatesRemoved, schema.Task, schema.Label.Name, resolved.PrimaryMetric);
            var summary = new DataSummary(data.Rows.Count, cleaning.DuplicatesRemoved, cleaning.MissingRowsRemoved, schema.Rows, report.Anomalies.Count);
            return new ValidationOutcome(true, schema.Task, schema.Label.Name, resolved.PrimaryMetric, spec.EffectiveSeed, ArtifactStore.Sha256(content), summary, report.Anomalies);
        }
        catch (DataValidationException ex)
        {
            logger.LogInformation("Run {RunId} rejected: {Code} {Message}", run.RunId, ex.Code, ex.Message);
            return Rejected(Anomaly.From(ex));
        }

        static ValidationOutcome Rejected(params IReadOnlyList<Anomaly> anomalies) => new(false, null, null, null, 0, null, null, anomalies);
    }

    /// <summary>
    /// Copies a rejected upload to <c>quarantine/</c> with its reasons when the file is at fault. A rejection caused by
    /// the request (see <see cref="AnomalyCodes.IsRequestProblem"/>) quarantines nothing; the upload stays in
    /// <c>datasets/</c> either way.
    /// </summary>
    public async Task QuarantineAsync(QuarantineInput input)
    {
        if (input.Anomalies.Any(a => a.Severity == Severity.Error && !AnomalyCodes.IsRequestProblem(a.Code)))
        {
            await store.QuarantineAsync(input.Run.Dataset, input.Run.ETag, new { input.Run.RunId, input.Run.Model, dataset = $"{ArtifactStore.Datasets}/{input.Run.Dataset}", rejectedAt = time.GetUtcNow(), input.Anomalies });
        }
    }

    /// <summary>Plans the holdout split and the cross-validation folds (<c>split.json</c>).</summary>
    public async Task<SplitOutcome> SplitAsync(RunContext run)
    {
        var (data, schema, spec) = await LoadTableAsync(run);
        var plan = ValidationPlan.Create(data, schema, spec);
        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SplitBlob, plan);
        if (spec.EffectiveTuning.Strategy != TuningStrategy.None && plan.Split.Validation.Length == 0)
        {
            throw new InvalidOperationException("Tuning scores trials on the validation split: set split.validation > 0.");
        }

        return new SplitOutcome(plan.Split.Train.Length, plan.Split.Validation.Length, plan.Split.Test.Length, plan.Method, plan.Folds.Count, plan.Trainers, plan.MaxConcurrency, spec.EffectiveTuning, spec.EffectiveSeed);
    }

    /// <summary>One tuning trial: trains on the training split with the trial's options (one thread) and scores it on the validation split.</summary>
    public async Task<TrialRecord> RunTrialAsync(TrialInput input)
    {
        var run = input.Run;
        var (schema, spec, rows, labels) = await LoadAsync(run);
        var split = (await store.ReadJsonAsync<ValidationPlan>(ArtifactStore.Artifacts, run.SplitBlob)).Split;
        var stopwatch = Stopwatch.StartNew();
        var (metrics, error) = ModelScoring.TryTrainAndScore(() => ModelScoring.Score(TrainedModel.Train(schema, ModelScoring.Pick(rows, split.Train), ModelScoring.Pick(labels, split.Train), spec.EffectiveSeed, spec, input.Trainer, threads: 1, input.Options), rows, labels, split.Validation));
        var value = metrics.GetValueOrDefault(input.Metric, double.NaN);
        // A trial that failed or whose metric is undefined ranks last; double.MinValue, not −∞, because the result must serialize.
        var score = double.IsFinite(value) ? (PrimaryMetric.HigherIsBetter(input.Metric) ? value : -value) : double.MinValue;
        var record = new TrialRecord(input.Trial, score, metrics, stopwatch.Elapsed.TotalSeconds, error);
        await registry.RecordTuningTrialAsync(run.RunId, run.Model, input.Trainer, input.Trial.Id, input.Options, input.Trial.Resource, score, metrics, record.Seconds, error, time.GetUtcNow());
        return record;
    }

    /// <summary>Trains one candidate on one fold (one thread: folds run side by side) and scores it on the fold's rows.</summary>
    public async Task<FoldResult> EvaluateFoldAsync(FoldInput input)
    {
        var run = input.Run;
        var (schema, spec, rows, labels) = await LoadAsync(run);
        var fold = (await store.ReadJsonAsync<ValidationPlan>(ArtifactStore.Artifacts, run.SplitBlob)).Folds[input.Fold];
        var stopwatch = Stopwatch.StartNew();
        var (metrics, error) = ModelScoring.TryTrainAndScore(() => ModelScoring.Score(TrainedModel.Train(schema, ModelScoring.Pick(rows, fold.Train), ModelScoring.Pick(labels, fold.Train), spec.EffectiveSeed, spec, input.Trainer, threads: 1), rows, labels, fold.Validation));
        var result = new FoldResult(input.Trainer, input.Fold, fold.Train.Length, fold.Validation.Length, metrics, stopwatch.Elapsed.TotalSeconds, error);
        await registry.RecordTrialAsync(run.RunId, run.Model, result, time.GetUtcNow());
        return result;
    }

    /// <summary>Refits the selected trainer on train + validation (all cores) and stores the model in the run's folder.</summary>
    public async Task<TrainOutcome> TrainAsync(TrainInput input)
    {
        var run = input.Run;
        var (schema, spec, rows, labels) = await LoadAsync(run);
        var split = (await store.ReadJsonAsync<ValidationPlan>(ArtifactStore.Artifacts, run.SplitBlob)).Split;
        var fit = split.Train.Concat(split.Validation).Order().ToArray();
        var stopwatch = Stopwatch.StartNew();
        var model = TrainedModel.Train(schema, ModelScoring.Pick(rows, fit), ModelScoring.Pick(labels, fit), spec.EffectiveSeed, spec, input.Trainer, hyperparameters: input.Hyperparameters);
        using var zip = new MemoryStream();
        model.Save(zip);
        var sha = await store.WriteAsync(ArtifactStore.Artifacts, run.ModelBlob, BinaryData.FromBytes(zip.ToArray()));
        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.TrainingBlob, model.Details);
        logger.LogInformation("Run {RunId}: trained {Trainer} on {Rows} rows in {Seconds:F1} s", run.RunId, model.Trainer, model.Details.Rows, stopwatch.Elapsed.TotalSeconds);
        var selection = model.Details.Selection;
        var features = new FeatureSummary(
            model.Details.InputsOffered,
            model.Details.ModelInputs.Count,
            [.. (selection?.Decisions ?? []).Where(d => d.Dropped is not null).Select(d => $"{FeatureRows.Describe(schema, d.Name)} ({d.Dropped})")],
            model.Details.Augmentation?.SyntheticRows ?? 0);
        return new TrainOutcome(model.Trainer, sha, stopwatch.Elapsed.TotalSeconds, model.Details.Rows, model.Details.OutlierRowsDropped, features);
    }

    /// <summary>
    /// Scores the model once on the untouched test split: metrics, confusion matrix and per-class metrics
    /// (<c>evaluation.json</c>), success criteria, slices, and the champion gate (the champion scored on the same rows).
    /// </summary>
    public async Task<EvaluationOutcome> EvaluateAsync(RunContext run)
    {
        var (data, schema, spec) = await LoadTableAsync(run);
        var (rows, labels) = FeatureRows.FromTable(data, schema);
        var test = (await store.ReadJsonAsync<ValidationPlan>(ArtifactStore.Artifacts, run.SplitBlob)).Split.Test;
        var model = TrainedModel.Load((await store.ReadAsync(ArtifactStore.Artifacts, run.ModelBlob)).ToStream(), schema, "candidate");
        var metric = spec.PrimaryMetric!;
        var metrics = ModelScoring.Score(model, rows, labels, test);
        var criteria = PrimaryMetric.Check(spec.SuccessCriteria, metrics);
        var (championVersion, championMetrics) = await championScorer.ScoreAsync(run.Model, schema, data, test);
        var gate = Gate.Decide(metric, metrics.TryGetValue(metric, out var value) ? value : null, championMetrics?.GetValueOrDefault(metric), championVersion, criteria, spec.EffectiveGate);
        var slices = (spec.EffectiveValidation.SliceBy ?? []).Where(c => data.IndexOf(c) >= 0).Select(column =>
        {
            var index = data.IndexOf(column);
            var values = test.Select(i => data.Rows[i][index]).ToList();
            var numeric = schema.Columns.FirstOrDefault(c => c.Name == data.Columns[index])?.Kind == ColumnKind.Numeric;
            return Slices.Compute(column, values, numeric, metric, subset => ModelScoring.Score(model, rows, labels, subset.Select(k => test[k]).ToArray()));
        }).ToList();
        var importance = PermutationImportanceOnTest(model, schema, rows, labels, test, metric, spec.EffectiveSeed);
        ClassificationDetail? detail = null;
        if (schema.IsClassification)
        {
            var predictions = model.Predict(ModelScoring.Pick(rows, test));
            detail = Metrics.Detail(ModelScoring.Pick(labels, test), predictions.Select(p => p.Label).ToList(), schema.Classes!);
        }

        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.EvaluationBlob, new { testRows = test.Length, metrics, detail, criteria, gate, championMetrics, slices, permutationImportance = importance });
        return new EvaluationOutcome(metrics, criteria, gate, slices.ToDictionary(s => s.Column, s => s.Gap), importance.Take(10).ToList());
    }

    /// <summary>Takes a version number, copies the artifacts to <c>artifacts/{model}/{version}/</c>, then registers it.</summary>
    public async Task<int> RegisterAsync(RegisterInput input)
    {
        var run = input.Run;
        var now = time.GetUtcNow();
        var version = await registry.ReserveVersionAsync(run.Model, run.RunId, now);
        var folder = $"{run.Model}/{version}";
        var model = await store.ReadAsync(ArtifactStore.Artifacts, run.ModelBlob);
        var modelSha = await store.WriteAsync(ArtifactStore.Artifacts, $"{folder}/model.zip", model);
        foreach (var file in new[] { run.SchemaBlob, run.SpecBlob, run.QualityBlob, run.EvaluationBlob })
        {
            await store.WriteAsync(ArtifactStore.Artifacts, $"{folder}/{Path.GetFileName(file)}", await store.ReadAsync(ArtifactStore.Artifacts, file));
        }

        var training = await store.ReadJsonAsync<TrainingDetails>(ArtifactStore.Artifacts, run.TrainingBlob);
        var record = new ModelVersion(
            run.Model,
            version,
            VersionStatus.Registered,
            run.RunId,
            input.Data.Task!.Value.ToString(),
            input.Data.Label!,
            input.Training.Trainer,
            input.Evaluation.Test,
            modelSha,
            input.Data.DataSha256!,
            run.Dataset,
            input.Data.Data!.RowsUsed,
            input.Data.Seed,
            LifecycleInfo.CodeVersion,
            now,
            input.Data.PrimaryMetric,
            new GateRecord(input.Evaluation.Gate.Passed, input.Evaluation.Gate.Reason));
        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
        await store.WriteJsonAsync(ArtifactStore.Artifacts, $"{folder}/manifest.json", ManifestBuilder.Build(record, input, training, schema));
        await registry.CompleteVersionAsync(record);
        return version;
    }

    /// <summary>
    /// Points <c>champion</c> at the version when it passed the gate and the champion is still the one the gate compared
    /// against (another run may have promoted in between); the previous champion is kept for rollback.
    /// </summary>
    public async Task<bool> PromoteAsync(PromoteInput input)
    {
        if (!input.GatePassed)
        {
            return false;
        }

        var moved = await registry.TryMoveAliasAsync(input.Model, ModelRegistry.Champion, input.Version, input.ExpectedChampion, time.GetUtcNow());
        if (!moved)
        {
            logger.LogWarning("{Model} v{Version} passed the gate against v{Expected}, but the champion changed meanwhile; it stays a candidate", input.Model, input.Version, input.ExpectedChampion);
        }

        return moved;
    }

    public Task RecordRunAsync(RunResult result) =>
        registry.RecordRunAsync(new RunRecord(result.RunId, result.Model, result.Status, result.Dataset, result.Version, result.Task?.ToString(), result.Metrics, result.Message, result.StartedAt, result.FinishedAt));

    private async Task<(DatasetSchema Schema, ProblemSpec Spec, List<string?[]> Rows, List<string> Labels)> LoadAsync(RunContext run)
    {
        var data = await cache.GetAsync(run);
        return (data.Schema, data.Spec, data.Rows, data.Labels);
    }

    private async Task<(TabularData Data, DatasetSchema Schema, ProblemSpec Spec)> LoadTableAsync(RunContext run)
    {
        var data = await cache.GetAsync(run);
        return (data.Table, data.Schema, data.Spec);
    }

    /// <summary>The spec of a run: the request's, else <c>datasets/{model}/lifecycle.json</c>, else defaults; the blob's <c>label</c> metadata fills a missing label.</summary>
    private async Task<ProblemSpec> ResolveSpecAsync(RunContext run, IDictionary<string, string> metadata)
    {
        var spec = run.Spec is { } requested ? SpecReader.Validate(requested)
            : await store.TryReadAsync(ArtifactStore.Datasets, $"{run.Model}/{LifecycleInfo.SpecFileName}") is { } json ? SpecReader.Parse(json.ToString())
            : new ProblemSpec();
        return spec.Label is null && metadata.TryGetValue("label", out var label) ? spec with { Label = label } : spec;
    }

    /// <summary>Anomalies of the new data against the champion's schema, as warnings: a retrain may change the data on purpose.</summary>
    private async Task<IEnumerable<Anomaly>> CompareWithChampionAsync(string model, TabularData data)
    {
        if (await registry.ResolveAliasAsync(model, ModelRegistry.Champion) is not { } version
            || await store.TryReadAsync(ArtifactStore.Artifacts, $"{model}/{version}/schema.json") is not { } json)
        {
            return [];
        }

        var champion = LifecycleJson.Deserialize<DatasetSchema>(json.ToString());
        return SchemaValidator.Validate(data, champion, requireLabel: true)
            .Select(a => a with { Severity = Severity.Warning, Message = $"Compared with champion v{version}: {a.Message}" });
    }

    /// <summary>Permutation importance of each raw feature on (a seeded sample of) the test rows, by the primary metric.</summary>
    private static List<FeatureImportance> PermutationImportanceOnTest(TrainedModel model, DatasetSchema schema, List<string?[]> rows, List<string> labels, int[] test, string metric, int seed)
    {
        var sample = test.Length <= PermutationImportance.MaxRows ? test : test.OrderBy(i => unchecked(i * 2654435761u ^ (uint)seed)).Take(PermutationImportance.MaxRows).Order().ToArray();
        var actual = ModelScoring.Pick(labels, sample);
        return PermutationImportance.Compute(
            schema.Features.Select(f => f.Name).ToList(),
            ModelScoring.Pick(rows, sample),
            subset => Metrics.For(schema, actual, model.Predict(subset)).GetValueOrDefault(metric, double.NaN),
            PrimaryMetric.HigherIsBetter(metric),
            seed);
    }
}
