using System.Reflection;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>The <c>manifest.json</c> written next to a registered model: what it is, what it was built from and how.</summary>
public static class ManifestBuilder
{
    /// <param name="record">The version being registered.</param>
    /// <param name="input">The run's outcomes, as passed to RegisterModel.</param>
    /// <param name="training">The training details stored by TrainModel (rows and outliers dropped are read from them).</param>
    /// <param name="schema">The run's schema (the final feature set is read from it).</param>
    public static object Build(ModelVersion record, RegisterInput input, TrainingDetails training, DatasetSchema schema) => new
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
        servedModel = input.Refit is { } refit
            ? new { trainedOn = "every row (train, validation and test), after the test split measured the configuration", refit.Rows, refit.Seconds, evaluatedModel = ModelRegistry.EvaluatedModelFile, record.EvaluatedSha256 }
            : (object)new { trainedOn = "train + validation (split.refit is false)", training.Rows, Seconds = input.TrainingSeconds, evaluatedModel = "model.zip", EvaluatedSha256 = record.ArtifactSha256 },
        input.PrimaryMetric,
        metrics = new { test = input.Evaluation.Test },
        successCriteria = input.Evaluation.Criteria,
        gate = input.Evaluation.Gate,
        selection = input.Selection,
        tuning = input.Tuning,
        ensemble = input.Ensemble,
        sliceGaps = input.Evaluation.SliceGaps,
        features = FeatureList(schema, training.ModelInputs),
        permutationImportance = input.Evaluation.Importance,
        data = input.Data,
        training = new { Seconds = input.TrainingSeconds, training.Rows, training.OutlierRowsDropped, training.Augmentation, training.NumericTransforms, training.CategoricalFills },
        featureSelection = training.Selection,
        transforms = training.Transforms,
        record.CodeVersion,
        packages = PackageVersions(),
        record.CreatedAt,
    };

    /// <summary>The final feature set for the manifest: each column, its kind and the model inputs the chain reads from it.</summary>
    private static object[] FeatureList(DatasetSchema schema, IReadOnlyList<string> modelInputs)
    {
        var inputs = FeatureRows.Inputs(schema).Where(c => modelInputs.Contains(c.Name)).ToList();
        return schema.Features.Select((f, i) => (object)new { f.Name, f.Kind, f.History, inputs = inputs.Where(c => c.Feature == i && c.Name.StartsWith('f')).Select(c => c.Name).ToArray() })
            .Concat((schema.Derived ?? []).Select((d, k) => (object)new { d.Name, Kind = "Derived", d.Op, d.Columns, d.Edges, inputs = modelInputs.Where(n => n == $"d{k}_{d.Op}").ToArray() }))
            .ToArray();
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
