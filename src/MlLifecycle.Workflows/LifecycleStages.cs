using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
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
            return Rejected(Anomaly.Error("DatasetNotFound", null, $"Blob 'datasets/{run.Dataset}' does not exist."));
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

        var content = await store.ReadAsync(ArtifactStore.Datasets, run.Dataset);
        try
        {
            var data = CsvLoader.Read(content.ToStream());
            var inspection = SchemaInference.Inspect(data, spec);
            List<Anomaly> anomalies = [.. inspection.Anomalies, .. await CompareWithChampionAsync(run.Model, data)];
            if (inspection.Rejected)
            {
                logger.LogWarning("Run {RunId} rejected: {Codes}", run.RunId, string.Join(", ", anomalies.Where(a => a.Severity == Severity.Error).Select(a => a.Code)));
                return Rejected(anomalies);
            }

            var cleaning = Cleaner.Clean(data, inspection.Schema, spec.EffectiveCleaning);
            var schema = inspection.Schema with { Rows = cleaning.Data.Rows.Count };
            var (_, labels) = FeatureRows.FromTable(cleaning.Data, schema);
            var split = spec.EffectiveSplit;
            DataSplit.Holdout(schema.Rows, spec.EffectiveSeed, split.Train, split.Validation, schema.IsClassification ? labels : null);
            var report = QualityReport.Build(data, schema, anomalies, cleaning);
            var resolved = spec with { Label = schema.Label.Name, Task = schema.Task, PositiveClass = schema.PositiveClass, Seed = spec.EffectiveSeed };
            resolved = resolved with { PrimaryMetric = PrimaryMetric.Choose(resolved, schema, report.ImbalanceRatio) };
            using (var cleaned = new MemoryStream())
            {
                CsvLoader.Write(cleaning.Data, cleaned);
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
            logger.LogWarning("Run {RunId} rejected: {Code} {Message}", run.RunId, ex.Code, ex.Message);
            return Rejected(Anomaly.From(ex));
        }

        static ValidationOutcome Rejected(params IReadOnlyList<Anomaly> anomalies) => new(false, null, null, null, 0, null, null, anomalies);
    }

    public Task QuarantineAsync(QuarantineInput input) =>
        store.QuarantineAsync(input.Run.Dataset, new { input.Run.RunId, input.Run.Model, dataset = $"{ArtifactStore.Datasets}/{input.Run.Dataset}", rejectedAt = time.GetUtcNow(), input.Anomalies });

    public async Task<SplitOutcome> SplitAsync(RunContext run)
    {
        var (schema, spec, _, labels) = await LoadAsync(run);
        var fractions = spec.EffectiveSplit;
        var split = DataSplit.Holdout(schema.Rows, spec.EffectiveSeed, fractions.Train, fractions.Validation, schema.IsClassification ? labels : null);
        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SplitBlob, split);
        return new SplitOutcome(split.Train.Length, split.Validation.Length, split.Test.Length);
    }

    public async Task<TrainOutcome> TrainAsync(RunContext run)
    {
        var (schema, spec, rows, labels) = await LoadAsync(run);
        var split = await store.ReadJsonAsync<DataSplit>(ArtifactStore.Artifacts, run.SplitBlob);
        var stopwatch = Stopwatch.StartNew();
        var model = TrainedModel.Train(schema, Pick(rows, split.Train), Pick(labels, split.Train), spec.EffectiveSeed, spec.EffectiveCleaning);
        using var zip = new MemoryStream();
        model.Save(zip);
        var sha = await store.WriteAsync(ArtifactStore.Artifacts, run.ModelBlob, BinaryData.FromBytes(zip.ToArray()));
        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.TrainingBlob, model.Details);
        logger.LogInformation("Run {RunId}: trained {Trainer} on {Rows} rows in {Seconds:F1} s", run.RunId, model.Trainer, model.Details.Rows, stopwatch.Elapsed.TotalSeconds);
        return new TrainOutcome(model.Trainer, sha, stopwatch.Elapsed.TotalSeconds, model.Details.Rows, model.Details.OutlierRowsDropped);
    }

    public async Task<EvaluationOutcome> EvaluateAsync(RunContext run)
    {
        var (schema, spec, rows, labels) = await LoadAsync(run);
        var split = await store.ReadJsonAsync<DataSplit>(ArtifactStore.Artifacts, run.SplitBlob);
        var zip = await store.ReadAsync(ArtifactStore.Artifacts, run.ModelBlob);
        var model = TrainedModel.Load(zip.ToStream(), schema, "LightGbm");
        var test = Score(split.Test);
        return new EvaluationOutcome(test, split.Validation.Length > 0 ? Score(split.Validation) : [], PrimaryMetric.Check(spec.SuccessCriteria, test));

        Dictionary<string, double> Score(int[] indexes)
        {
            var predictions = model.Predict(Pick(rows, indexes));
            var actual = Pick(labels, indexes);
            return schema.IsClassification
                ? Metrics.Classification(actual, predictions.Select(p => p.Label).ToList(), predictions.Select(p => p.Probabilities!).ToList(), schema.Classes!, schema.PositiveClass)
                : Metrics.Regression(actual.Select(a => (double)FeatureRows.ToSingle(a)).ToList(), predictions.Select(p => p.Score!.Value).ToList());
        }
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
        foreach (var file in new[] { run.SchemaBlob, run.SpecBlob, run.QualityBlob })
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
            input.Data.PrimaryMetric);
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
            metrics = new { test = input.Evaluation.Test, validation = input.Evaluation.Validation },
            successCriteria = input.Evaluation.Criteria,
            data = input.Data.Data,
            training = new { input.Training.Seconds, input.Training.Rows, input.Training.OutlierRowsDropped, training.NumericTransforms, training.CategoricalFills },
            transforms = TransformChain(input.Data.Task!.Value),
            record.CodeVersion,
            packages = PackageVersions(),
            record.CreatedAt,
        });
        await registry.CompleteVersionAsync(record);
        return version;
    }

    public Task<bool> PromoteIfNoChampionAsync(PromoteInput input) =>
        registry.TryCreateAliasAsync(input.Model, ModelRegistry.Champion, input.Version, time.GetUtcNow());

    public Task RecordRunAsync(RunResult result) =>
        registry.RecordRunAsync(new RunRecord(result.RunId, result.Model, result.Status, result.Dataset, result.Version, result.Task?.ToString(), result.Metrics, result.Message, result.StartedAt, result.FinishedAt));

    private async Task<(DatasetSchema Schema, ProblemSpec Spec, List<string?[]> Rows, List<string> Labels)> LoadAsync(RunContext run)
    {
        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
        var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, run.SpecBlob);
        var data = CsvLoader.Read((await store.ReadAsync(ArtifactStore.Artifacts, run.DataBlob)).ToStream());
        var (rows, labels) = FeatureRows.FromTable(data, schema);
        return (schema, spec, rows, labels);
    }

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

    /// <summary>The saved chain, in order, for the manifest.</summary>
    private static string[] TransformChain(MlTask task) =>
        ["numeric: impute / clip / scale expression per column (parameters in training.numericTransforms)", "categorical: one-hot (≤ 64 values) or hashing (10 bits)", "text: TF-IDF n-grams (FeaturizeText)", "date: year, month, day, day of week, hour", $"trainer: LightGbm ({task})"];

    private static List<T> Pick<T>(List<T> items, int[] indexes) => indexes.Select(i => items[i]).ToList();

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
