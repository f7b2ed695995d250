using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;
using static MlLifecycle.Workflows.ModelScoring;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.TrainModel"/> activity.</summary>
public sealed class TrainModel(ArtifactStore store, RunDataCache cache, ILogger<TrainModel> logger)
{
    /// <summary>Refits the selected trainer, or each member of the selected ensemble, on train + validation (all cores) and stores the model in the run's folder.</summary>
    public async Task<TrainOutcome> RunAsync(TrainInput input)
    {
        var split = (await cache.GetPlanAsync(input.Run)).Split;
        return await TrainAsync(input, [.. split.Train.Concat(split.Validation).Order()], input.Run.ModelBlob, input.Run.TrainingBlob);
    }

    /// <summary>
    /// The <see cref="ActivityNames.RefitModel"/> activity: trains the evaluated configuration (same trainer, options and
    /// seed) on every row, train, validation and test, and stores it as the model to serve (<c>refit/</c> in the run's folder).
    /// </summary>
    public async Task<TrainOutcome> RefitAsync(TrainInput input)
    {
        var data = await cache.GetAsync(input.Run);
        return await TrainAsync(input, [.. Enumerable.Range(0, data.Rows.Count)], input.Run.RefitModelBlob, input.Run.RefitTrainingBlob);
    }

    private async Task<TrainOutcome> TrainAsync(TrainInput input, int[] fit, string modelBlob, string trainingBlob)
    {
        var run = input.Run;
        var (_, schema, spec, rows, labels) = await cache.GetAsync(run);
        var stopwatch = Stopwatch.StartNew();
        var model = input.Members is { Count: > 0 } members
            ? TrainedModel.Ensemble([.. members.Select(m => (Train(m.Trainer, m.Options), m.Weight))])
            : Train(input.Trainer, input.Hyperparameters);
        using var zip = new MemoryStream();
        model.Save(zip);
        var sha = await store.WriteAsync(ArtifactStore.Artifacts, modelBlob, BinaryData.FromBytes(zip.ToArray()));
        await store.WriteJsonAsync(ArtifactStore.Artifacts, trainingBlob, model.Details);
        logger.LogInformation("Run {RunId}: trained {Trainer} on {Rows} rows in {Seconds:F1} s", run.RunId, model.Trainer, model.Details.Rows, stopwatch.Elapsed.TotalSeconds);
        var selection = model.Details.Selection;
        var features = new FeatureSummary(
            model.Details.InputsOffered,
            model.Details.ModelInputs.Count,
            [.. (selection?.Decisions ?? []).Where(d => d.Dropped is not null).Select(d => $"{FeatureRows.Describe(schema, d.Name)} ({d.Dropped})")],
            model.Details.Augmentation?.SyntheticRows ?? 0);
        return new TrainOutcome(model.Trainer, sha, stopwatch.Elapsed.TotalSeconds, model.Details.Rows, model.Details.OutlierRowsDropped, features);

        TrainedModel Train(string trainer, IReadOnlyDictionary<string, double>? options) =>
            TrainedModel.Train(schema, rows.Subset(fit), Pick(labels, fit), spec.EffectiveSeed, spec, trainer, hyperparameters: options);
    }
}
