using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.RegisterModel"/> activity.</summary>
public sealed class RegisterModel(ArtifactStore store, ModelRegistry registry, TimeProvider time)
{
    /// <summary>
    /// Takes a version number, copies the artifacts to <c>artifacts/{model}/{version}/</c>, then registers it. When the
    /// run refit on every row, that model is <c>model.zip</c> (served) and the evaluated one <c>evaluated.zip</c> (the
    /// gate scores it when this version is the champion: it never saw its test split).
    /// </summary>
    public async Task<int> RunAsync(RegisterInput input)
    {
        var run = input.Run;
        var now = time.GetUtcNow();
        var version = await registry.ReserveVersionAsync(run.Model, run.RunId, now);
        var folder = $"{run.Model}/{version}";
        var evaluated = await store.ReadAsync(ArtifactStore.Artifacts, run.ModelBlob);
        string? evaluatedSha = null;
        if (input.Refit is not null)
        {
            evaluatedSha = await store.WriteAsync(ArtifactStore.Artifacts, $"{folder}/{ModelRegistry.EvaluatedModelFile}", evaluated);
        }

        var served = input.Refit is null ? evaluated : await store.ReadAsync(ArtifactStore.Artifacts, run.RefitModelBlob);
        var modelSha = await store.WriteAsync(ArtifactStore.Artifacts, $"{folder}/model.zip", served);
        foreach (var file in new[] { run.SchemaBlob, run.SpecBlob, run.QualityBlob, run.EvaluationBlob, run.BaselineBlob })
        {
            await store.WriteAsync(ArtifactStore.Artifacts, $"{folder}/{Path.GetFileName(file)}", await store.ReadAsync(ArtifactStore.Artifacts, file));
        }

        var training = await store.ReadJsonAsync<TrainingDetails>(ArtifactStore.Artifacts, input.Refit is null ? run.TrainingBlob : run.RefitTrainingBlob);
        var record = new ModelVersion(
            run.Model,
            version,
            VersionStatus.Registered,
            run.RunId,
            input.Task.ToString(),
            input.Label,
            input.Trainer,
            input.Evaluation.Test,
            modelSha,
            input.DataSha256,
            run.Dataset,
            input.Data.RowsUsed,
            input.Seed,
            LifecycleInfo.CodeVersion,
            now,
            input.PrimaryMetric,
            new GateRecord(input.Evaluation.Gate.Passed, input.Evaluation.Gate.Reason))
        {
            EvaluatedSha256 = evaluatedSha,
            Split = ValidationPlan.DescribeSplit(await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, run.SpecBlob)),
        };
        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
        await store.WriteJsonAsync(ArtifactStore.Artifacts, $"{folder}/manifest.json", ManifestBuilder.Build(record, input, training, schema));
        await registry.CompleteVersionAsync(record);
        return version;
    }
}
