using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
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
    public static readonly string CodeVersion =
        typeof(LifecycleStages).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public async Task<ValidationOutcome> ValidateAsync(RunContext run)
    {
        var properties = await store.TryGetPropertiesAsync(ArtifactStore.Datasets, run.Dataset);
        if (properties is null)
        {
            return Rejected(new Anomaly("DatasetNotFound", null, 1, "error", $"Blob 'datasets/{run.Dataset}' does not exist."));
        }

        if (properties.ContentLength > options.Value.MaxDatasetBytes)
        {
            return Rejected(new Anomaly(AnomalyCodes.FileTooLarge, null, 1, "error", $"The file has {properties.ContentLength} bytes; the limit is {options.Value.MaxDatasetBytes}."));
        }

        var content = await store.ReadAsync(ArtifactStore.Datasets, run.Dataset);
        var label = run.Label ?? (properties.Metadata.TryGetValue("label", out var fromMetadata) ? fromMetadata : null);
        try
        {
            var data = CsvLoader.Read(content.ToStream());
            var schema = SchemaInference.Infer(data, label);
            var (_, labels) = FeatureRows.FromTable(data, schema);
            DataSplit.Holdout(schema.Rows, run.Seed, strata: schema.IsClassification ? labels : null);
            await store.WriteAsync(ArtifactStore.Artifacts, run.DataBlob, content);
            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SchemaBlob, schema);
            var anomalies = schema.Columns.Where(c => c.Ignored is not null)
                .Select(c => new Anomaly("ColumnIgnored", c.Name, 1, "warning", $"Column '{c.Name}' is not used as a feature: {c.Ignored}."))
                .ToList();
            logger.LogInformation("Run {RunId}: {Rows} rows, task {Task}, label {Label}", run.RunId, schema.Rows, schema.Task, schema.Label.Name);
            return new ValidationOutcome(true, schema.Task, schema.Label.Name, schema.Rows, data.Columns.Count, ArtifactStore.Sha256(content), anomalies);
        }
        catch (DataValidationException ex)
        {
            logger.LogWarning("Run {RunId} rejected: {Code} {Message}", run.RunId, ex.Code, ex.Message);
            return Rejected(new Anomaly(ex.Code, ex.Column, ex.Count, "error", ex.Message));
        }

        static ValidationOutcome Rejected(Anomaly anomaly) => new(false, null, null, 0, 0, null, [anomaly]);
    }

    public Task QuarantineAsync(QuarantineInput input) =>
        store.QuarantineAsync(input.Run.Dataset, new { input.Run.RunId, input.Run.Model, dataset = $"{ArtifactStore.Datasets}/{input.Run.Dataset}", rejectedAt = time.GetUtcNow(), input.Anomalies });

    public async Task<SplitOutcome> SplitAsync(RunContext run)
    {
        var (schema, _, labels) = await LoadAsync(run);
        var split = DataSplit.Holdout(schema.Rows, run.Seed, strata: schema.IsClassification ? labels : null);
        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SplitBlob, split);
        return new SplitOutcome(split.Train.Length, split.Validation.Length, split.Test.Length);
    }

    public async Task<TrainOutcome> TrainAsync(RunContext run)
    {
        var (schema, rows, labels) = await LoadAsync(run);
        var split = await store.ReadJsonAsync<DataSplit>(ArtifactStore.Artifacts, run.SplitBlob);
        var stopwatch = Stopwatch.StartNew();
        var model = TrainedModel.Train(schema, Pick(rows, split.Train), Pick(labels, split.Train), run.Seed);
        using var zip = new MemoryStream();
        model.Save(zip);
        var sha = await store.WriteAsync(ArtifactStore.Artifacts, run.ModelBlob, BinaryData.FromBytes(zip.ToArray()));
        logger.LogInformation("Run {RunId}: trained {Trainer} on {Rows} rows in {Seconds:F1} s", run.RunId, model.Trainer, split.Train.Length, stopwatch.Elapsed.TotalSeconds);
        return new TrainOutcome(model.Trainer, sha, stopwatch.Elapsed.TotalSeconds);
    }

    public async Task<EvaluationOutcome> EvaluateAsync(RunContext run)
    {
        var (schema, rows, labels) = await LoadAsync(run);
        var split = await store.ReadJsonAsync<DataSplit>(ArtifactStore.Artifacts, run.SplitBlob);
        var zip = await store.ReadAsync(ArtifactStore.Artifacts, run.ModelBlob);
        var model = TrainedModel.Load(zip.ToStream(), schema, "LightGbm");
        return new EvaluationOutcome(Score(split.Test), split.Validation.Length > 0 ? Score(split.Validation) : []);

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
        var schema = await store.ReadAsync(ArtifactStore.Artifacts, run.SchemaBlob);
        await store.WriteAsync(ArtifactStore.Artifacts, $"{folder}/schema.json", schema);
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
            input.Data.Rows,
            run.Seed,
            CodeVersion,
            now);
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
            metrics = new { test = input.Evaluation.Test, validation = input.Evaluation.Validation },
            trainingSeconds = input.Training.Seconds,
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

    private async Task<(DatasetSchema Schema, List<string?[]> Rows, List<string> Labels)> LoadAsync(RunContext run)
    {
        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
        var data = CsvLoader.Read((await store.ReadAsync(ArtifactStore.Artifacts, run.DataBlob)).ToStream());
        var (rows, labels) = FeatureRows.FromTable(data, schema);
        return (schema, rows, labels);
    }

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
