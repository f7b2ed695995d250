using MlLifecycle.Core;
using MlLifecycle.Core.Spec;
using MlLifecycle.Storage;
using static MlLifecycle.Workflows.ModelScoring;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.RunTrial"/> activity.</summary>
public sealed class RunTrial(ModelRegistry registry, ArtifactStore store, RunDataCache cache, TimeProvider time)
{
    /// <summary>
    /// One tuning trial: trains on the training split with the trial's options (one thread) and scores it on the
    /// validation split (both within the run's sample of a large table), whose predictions it stores for ensemble selection (unless the spec turns it off).
    /// </summary>
    public async Task<TrialRecord> RunAsync(TrialInput input)
    {
        var run = input.Run;
        var data = await cache.GetAsync(run);
        var plan = await cache.GetPlanAsync(run);
        var (metrics, error, seconds, predictions) = TrainAndScore(data, input.Trainer, plan.SelectionTrain, plan.SelectionValidation, input.Options);
        if (predictions is not null && data.Spec.EffectiveValidation.Ensemble)
        {
            await store.WriteAsync(ArtifactStore.Artifacts, run.OutOfFoldBlob(TrialCandidate(input.Trainer, input.Trial.Id), 0), predictions.ToBinary());
        }

        Telemetry.TrialDuration.Record(seconds, new("model", run.Model), new("trainer", input.Trainer));
        var value = metrics.GetValueOrDefault(input.Metric, double.NaN);
        // A trial that failed or whose metric is undefined ranks last; double.MinValue, not −∞, because the result must serialize.
        var score = double.IsFinite(value) ? (PrimaryMetric.HigherIsBetter(input.Metric) ? value : -value) : double.MinValue;
        var record = new TrialRecord(input.Trial, score, metrics, seconds, error);
        await registry.RecordTuningTrialAsync(run.RunId, run.Model, input.Trainer, input.Trial.Id, input.Options, input.Trial.Resource, score, metrics, record.Seconds, error, time.GetUtcNow());
        return record;
    }

    /// <summary>A trial's name among the candidates of ensemble selection.</summary>
    public static string TrialCandidate(string trainer, int trial) => $"{trainer}-trial-{trial}";
}
