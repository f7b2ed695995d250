using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.SplitDataset"/> activity.</summary>
public sealed class SplitDataset(RunDataCache cache)
{
    /// <summary>The holdout split and the cross-validation folds (<c>split.json</c>, planned by the validation stage, which refuses data that cannot be split).</summary>
    public async Task<SplitOutcome> RunAsync(RunContext run)
    {
        var spec = (await cache.GetAsync(run)).Spec;
        var plan = await cache.GetPlanAsync(run);
        if (spec.EffectiveTuning.Strategy != TuningStrategy.None && plan.Split.Validation.Length == 0)
        {
            throw new InvalidOperationException("Tuning scores trials on the validation split: set split.validation > 0.");
        }

        return new SplitOutcome(plan.Split.Train.Length, plan.Split.Validation.Length, plan.Split.Test.Length, plan.Method, plan.Folds.Count, plan.Trainers, plan.MaxConcurrency, spec.EffectiveTuning, spec.EffectiveSeed,
            spec.EffectiveDeployment.RequireApproval ? spec.EffectiveDeployment.ApprovalTimeoutHours : null, spec.EffectiveSplit.Refit, spec.EffectiveValidation.Ensemble, plan.Sample?.Length);
    }
}
