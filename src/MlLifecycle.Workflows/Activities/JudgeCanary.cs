using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Experiments;
using MlLifecycle.Core.Monitoring;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.JudgeCanary"/> activity.</summary>
public sealed class JudgeCanary(ArtifactStore store, InferenceLogStore log)
{
    /// <summary>
    /// Judges the canary on what the log holds since it started: the share of its requests the challenger failed,
    /// each arm's mean outcome from feedback (accuracy, or −absolute error), and the challenger's predictions against
    /// its own baseline. Rolls back when the challenger's error rate is above the maximum, its predictions drifted or
    /// its mean outcome is below the champion's by more than the tolerance plus the noise of that difference (1.645
    /// standard errors: with 30 outcomes an arm, two equal models differ by 0.1 in accuracy often enough that a bare
    /// tolerance would roll back a sound canary about half the time); stops without promoting when either arm has too
    /// few outcomes to judge; promotes otherwise.
    /// </summary>
    public async Task<CanaryJudgement> RunAsync(JudgeInput input)
    {
        var (champion, challenger, challengerPredictions, _, requests, errors, error) = await SplitOutcomes.ReadAsync(log, input.Model, input.Since, input.Until, input.Champion, input.Challenger);
        FeatureDrift? drift = null;
        if (input.CheckPredictions && challengerPredictions.Count > 0)
        {
            var baseline = await store.ReadJsonAsync<ModelBaseline>(ArtifactStore.Artifacts, $"{input.Model}/{input.Challenger}/baseline.json");
            var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, $"{input.Model}/{input.Challenger}/spec.json");
            drift = baseline.ComparePredictions(challengerPredictions, spec.EffectiveDrift);
        }

        double? championMean = champion.Count > 0 ? champion.Mean : null, challengerMean = challenger.Count > 0 ? challenger.Mean : null;
        var noise = Metrics.OneSidedZ95 * Math.Sqrt(champion.VarianceOfMean + challenger.VarianceOfMean);
        var (promote, reason) = (drift, champion.Count, challenger.Count) switch
        {
            _ when errors > input.MaxErrorRate * requests => (false, $"rolled back: the canary failed {errors} of its {requests} requests (at most {input.MaxErrorRate:P1} may fail): {error}"),
            ({ Drifted: true }, _, _) => (false, $"rolled back: the canary's predictions drifted from its test split ({drift.Test} p {drift.PValue:G3})"),
            (_, var a, var b) when a < input.MinLabels || b < input.MinLabels => (false, $"stopped: too few outcomes to judge ({a} champion, {b} challenger; {input.MinLabels} each needed)"),
            _ when challengerMean < championMean - input.Tolerance - noise => (false, $"rolled back: early feedback regressed ({challengerMean:F4} vs champion {championMean:F4}, beyond the tolerance {input.Tolerance:G3} and the noise {noise:F4})"),
            _ => (true, $"promoted: early feedback {challengerMean:F4} vs champion {championMean:F4} on {challenger.Count}/{champion.Count} outcomes"),
        };
        return new CanaryJudgement(promote, reason, champion.Count, challenger.Count, championMean, challengerMean, drift?.Drifted == true, requests, errors);
    }
}
