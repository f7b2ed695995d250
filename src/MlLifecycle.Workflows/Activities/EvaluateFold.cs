using MlLifecycle.Core.Evaluation;
using MlLifecycle.Storage;
using static MlLifecycle.Workflows.ModelScoring;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.EvaluateFold"/> activity.</summary>
public sealed class EvaluateFold(ModelRegistry registry, ArtifactStore store, RunDataCache cache, TimeProvider time)
{
    /// <summary>
    /// Trains one candidate on one fold (one thread: folds run side by side) and scores it on the fold's rows, whose
    /// predictions it stores for ensemble selection (unless the spec turns it off).
    /// </summary>
    public async Task<FoldResult> RunAsync(FoldInput input)
    {
        var run = input.Run;
        var data = await cache.GetAsync(run);
        var fold = (await cache.GetPlanAsync(run)).Folds[input.Fold];
        var (metrics, error, seconds, predictions) = TrainAndScore(data, input.Trainer, fold.Train, fold.Validation);
        if (predictions is not null && data.Spec.EffectiveValidation.Ensemble)
        {
            await store.WriteAsync(ArtifactStore.Artifacts, run.OutOfFoldBlob(input.Trainer, input.Fold), predictions.ToBinary());
        }

        var result = new FoldResult(input.Trainer, input.Fold, fold.Train.Length, fold.Validation.Length, metrics, seconds, error);
        await registry.RecordTrialAsync(run.RunId, run.Model, result, time.GetUtcNow());
        return result;
    }
}
