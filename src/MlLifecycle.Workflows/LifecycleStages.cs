using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
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
    ILogger<LifecycleStages> logger)
{
    /// <summary>The optional spec next to uploads: <c>datasets/{model}/lifecycle.json</c>.</summary>
    public const string SpecFileName = "lifecycle.json";

    /// <summary>Runs whose parsed data stays in memory for their fold activities.</summary>
    private const int CachedRuns = 2;

    private readonly ConcurrentDictionary<string, Lazy<Task<RunData>>> _runData = new(StringComparer.Ordinal);
    private readonly List<string> _runOrder = [];

    public static readonly string CodeVersion =
        typeof(LifecycleStages).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

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
        var (metrics, error) = TryTrainAndScore(() => Score(TrainedModel.Train(schema, Pick(rows, split.Train), Pick(labels, split.Train), spec.EffectiveSeed, spec, input.Trainer, threads: 1, input.Options), rows, labels, split.Validation));
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
        var (metrics, error) = TryTrainAndScore(() => Score(TrainedModel.Train(schema, Pick(rows, fold.Train), Pick(labels, fold.Train), spec.EffectiveSeed, spec, input.Trainer, threads: 1), rows, labels, fold.Validation));
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
        var model = TrainedModel.Train(schema, Pick(rows, fit), Pick(labels, fit), spec.EffectiveSeed, spec, input.Trainer, hyperparameters: input.Hyperparameters);
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
        var metrics = Score(model, rows, labels, test);
        var criteria = PrimaryMetric.Check(spec.SuccessCriteria, metrics);
        var (championVersion, championMetrics) = await ScoreChampionAsync(run.Model, schema, data, test);
        var gate = Gate.Decide(metric, metrics.TryGetValue(metric, out var value) ? value : null, championMetrics?.GetValueOrDefault(metric), championVersion, criteria, spec.EffectiveGate);
        var slices = (spec.EffectiveValidation.SliceBy ?? []).Where(c => data.IndexOf(c) >= 0).Select(column =>
        {
            var index = data.IndexOf(column);
            var values = test.Select(i => data.Rows[i][index]).ToList();
            var numeric = schema.Columns.FirstOrDefault(c => c.Name == data.Columns[index])?.Kind == ColumnKind.Numeric;
            return Slices.Compute(column, values, numeric, metric, subset => Score(model, rows, labels, subset.Select(k => test[k]).ToArray()));
        }).ToList();
        var importance = PermutationImportanceOnTest(model, schema, rows, labels, test, metric, spec.EffectiveSeed);
        ClassificationDetail? detail = null;
        if (schema.IsClassification)
        {
            var predictions = model.Predict(Pick(rows, test));
            detail = Metrics.Detail(Pick(labels, test), predictions.Select(p => p.Label).ToList(), schema.Classes!);
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
            CodeVersion,
            now,
            input.Data.PrimaryMetric,
            new GateRecord(input.Evaluation.Gate.Passed, input.Evaluation.Gate.Reason));
        await store.WriteJsonAsync(ArtifactStore.Artifacts, $"{folder}/manifest.json", new
        {
            record.Model,
            record.Version,
            record.RunId,
            record.Task,
            record.Label,
            record.Trainer,
            record.Seed,
            record.Dataset,
            record.DataSha256,
            record.ArtifactSha256,
            record.Rows,
            input.Data.PrimaryMetric,
            metrics = new { test = input.Evaluation.Test },
            successCriteria = input.Evaluation.Criteria,
            gate = input.Evaluation.Gate,
            selection = input.Selection,
            tuning = input.Tuning,
            sliceGaps = input.Evaluation.SliceGaps,
            features = FeatureList(await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob), training.ModelInputs),
            permutationImportance = input.Evaluation.Importance,
            data = input.Data.Data,
            training = new { input.Training.Seconds, input.Training.Rows, input.Training.OutlierRowsDropped, training.Augmentation, training.NumericTransforms, training.CategoricalFills },
            featureSelection = training.Selection,
            transforms = training.Transforms,
            record.CodeVersion,
            packages = PackageVersions(),
            record.CreatedAt,
        });
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
        var data = await LoadRunDataAsync(run);
        return (data.Schema, data.Spec, data.Rows, data.Labels);
    }

    private async Task<(TabularData Data, DatasetSchema Schema, ProblemSpec Spec)> LoadTableAsync(RunContext run)
    {
        var data = await LoadRunDataAsync(run);
        return (data.Table, data.Schema, data.Spec);
    }

    /// <summary>
    /// The run's cleaned data, schema and spec, parsed once per process: the fold activities of a run share it. The
    /// blobs are written once by ValidateDataset, so the cache cannot go stale; only the latest runs are kept.
    /// </summary>
    private Task<RunData> LoadRunDataAsync(RunContext run)
    {
        var lazy = _runData.GetOrAdd(run.RunId, _ => new Lazy<Task<RunData>>(async () =>
        {
            var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
            var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, run.SpecBlob);
            var table = CsvLoader.Read((await store.ReadAsync(ArtifactStore.Artifacts, run.DataBlob)).ToStream());
            var (rows, labels) = FeatureRows.FromTable(table, schema);
            return new RunData(table, schema, spec, rows, labels);
        }));
        lock (_runOrder)
        {
            _runOrder.Remove(run.RunId);
            _runOrder.Add(run.RunId);
            while (_runOrder.Count > CachedRuns)
            {
                _runData.TryRemove(_runOrder[0], out _);
                _runOrder.RemoveAt(0);
            }
        }

        return lazy.Value.ContinueWith(
            t =>
            {
                if (t.IsFaulted)
                {
                    _runData.TryRemove(new KeyValuePair<string, Lazy<Task<RunData>>>(run.RunId, lazy));
                }

                return t;
            },
            TaskScheduler.Default).Unwrap();
    }

    private sealed record RunData(TabularData Table, DatasetSchema Schema, ProblemSpec Spec, List<string?[]> Rows, List<string> Labels);

    /// <summary>The spec of a run: the request's, else <c>datasets/{model}/lifecycle.json</c>, else defaults; the blob's <c>label</c> metadata fills a missing label.</summary>
    private async Task<ProblemSpec> ResolveSpecAsync(RunContext run, IDictionary<string, string> metadata)
    {
        var spec = run.Spec is { } requested ? SpecReader.Validate(requested)
            : await store.TryReadAsync(ArtifactStore.Datasets, $"{run.Model}/{SpecFileName}") is { } json ? SpecReader.Parse(json.ToString())
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

    /// <summary>The final feature set for the manifest: each column, its kind and the model inputs the chain reads from it.</summary>
    private static object[] FeatureList(DatasetSchema schema, IReadOnlyList<string> modelInputs)
    {
        var inputs = FeatureRows.Inputs(schema).Where(c => modelInputs.Contains(c.Name)).ToList();
        return schema.Features.Select((f, i) => (object)new { f.Name, f.Kind, f.History, inputs = inputs.Where(c => c.Feature == i && c.Name.StartsWith('f')).Select(c => c.Name).ToArray() })
            .Concat((schema.Derived ?? []).Select((d, k) => (object)new { d.Name, Kind = "Derived", d.Op, d.Columns, d.Edges, inputs = modelInputs.Where(n => n == $"d{k}_{d.Op}").ToArray() }))
            .ToArray();
    }

    private static List<T> Pick<T>(List<T> items, int[] indexes) => indexes.Select(i => items[i]).ToList();

    /// <summary>
    /// Trains and scores one candidate. Training is deterministic, so a candidate that cannot fit these rows (a linear
    /// trainer whose weights diverge, say) fails the same way on a retry: its failure is returned as a result, and
    /// the candidate is left out, instead of failing the activity and the run.
    /// </summary>
    private static (Dictionary<string, double> Metrics, string? Error) TryTrainAndScore(Func<Dictionary<string, double>> trainAndScore)
    {
        try
        {
            // An undefined metric (AUC of a one-class fold) or an overflowing one is left out: results must serialize.
            return (trainAndScore().Where(m => double.IsFinite(m.Value)).ToDictionary(), null);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException or InsufficientExecutionStackException))
        {
            // Not the machine running short (memory, stack): that is not the candidate's fault, and a retry may pass.
            return ([], $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Metrics of a model on some rows.</summary>
    private static Dictionary<string, double> Score(TrainedModel model, List<string?[]> rows, List<string> labels, int[] indexes)
    {
        return Metrics.For(model.Schema, Pick(labels, indexes), model.Predict(Pick(rows, indexes)));
    }

    /// <summary>Permutation importance of each raw feature on (a seeded sample of) the test rows, by the primary metric.</summary>
    private static List<FeatureImportance> PermutationImportanceOnTest(TrainedModel model, DatasetSchema schema, List<string?[]> rows, List<string> labels, int[] test, string metric, int seed)
    {
        var sample = test.Length <= PermutationImportance.MaxRows ? test : test.OrderBy(i => unchecked(i * 2654435761u ^ (uint)seed)).Take(PermutationImportance.MaxRows).Order().ToArray();
        var actual = Pick(labels, sample);
        return PermutationImportance.Compute(
            schema.Features.Select(f => f.Name).ToList(),
            Pick(rows, sample),
            subset => Metrics.For(schema, actual, model.Predict(subset)).GetValueOrDefault(metric, double.NaN),
            PrimaryMetric.HigherIsBetter(metric),
            seed);
    }

    /// <summary>The champion's metrics on this run's test rows; null metrics when there is no champion or it cannot read this data.</summary>
    private async Task<(int? Version, Dictionary<string, double>? Metrics)> ScoreChampionAsync(string model, DatasetSchema schema, TabularData data, int[] test)
    {
        if (await registry.ResolveAliasAsync(model, ModelRegistry.Champion) is not { } version || await registry.GetVersionAsync(model, version) is not { } record)
        {
            return (null, null);
        }

        var zip = await store.ReadAsync(ArtifactStore.Artifacts, $"{model}/{version}/model.zip");
        var championSchema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, $"{model}/{version}/schema.json");
        var labelIndex = data.IndexOf(championSchema.Label.Name);
        var newClasses = championSchema.IsClassification && labelIndex >= 0 && test.Any(i => data.Rows[i][labelIndex] is { } l && !championSchema.Classes!.Contains(l));
        if (ArtifactStore.Sha256(zip) != record.ArtifactSha256 || championSchema.Task != schema.Task || championSchema.PositiveClass != schema.PositiveClass
            || labelIndex < 0 || newClasses || championSchema.Features.Any(c => data.IndexOf(c.Name) < 0)
            || championSchema.Features.Any(c => c.History != schema.Features.FirstOrDefault(f => f.Name == c.Name)?.History)) // same history fields, built the same way
        {
            logger.LogWarning("Champion v{Version} of {Model} cannot be scored on this run's data; the gate checks the criteria only", version, model);
            return (version, null);
        }

        var champion = TrainedModel.Load(zip.ToStream(), championSchema, record.Trainer);
        var (rows, labels) = FeatureRows.FromTable(new TabularData(data.Columns, test.Select(i => data.Rows[i]).ToList()), championSchema);
        return (version, Score(champion, rows, labels, Enumerable.Range(0, rows.Count).ToArray()));
    }


    /// <summary>Versions of the packages that shape a model, by NuGet package name.</summary>
    private static Dictionary<string, string> PackageVersions() => new()
    {
        ["Microsoft.ML"] = Version(typeof(Microsoft.ML.MLContext)),
        ["Microsoft.ML.LightGbm"] = Version(typeof(Microsoft.ML.Trainers.LightGbm.LightGbmBinaryTrainer)),
        ["Microsoft.DurableTask.Abstractions"] = Version(typeof(Microsoft.DurableTask.TaskOrchestrationContext)),
        ["Azure.Storage.Blobs"] = Version(typeof(Azure.Storage.Blobs.BlobServiceClient)),
    };

    private static string Version(Type type) =>
        type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? type.Assembly.GetName().Version!.ToString();
}
