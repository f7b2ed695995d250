using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.SplitDataset"/> activity.</summary>
public sealed class SplitDataset(ArtifactStore store, RunDataCache cache)
{
    /// <summary>Plans the holdout split and the cross-validation folds (<c>split.json</c>).</summary>
    public async Task<SplitOutcome> RunAsync(RunContext run)
    {
        var (data, schema, spec, _, _) = await cache.GetAsync(run);
        var plan = ValidationPlan.Create(data, schema, spec, run.Model);
        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SplitBlob, plan);
        if (spec.EffectiveTuning.Strategy != TuningStrategy.None && plan.Split.Validation.Length == 0)
        {
            throw new InvalidOperationException("Tuning scores trials on the validation split: set split.validation > 0.");
        }

        return new SplitOutcome(plan.Split.Train.Length, plan.Split.Validation.Length, plan.Split.Test.Length, plan.Method, plan.Folds.Count, plan.Trainers, plan.MaxConcurrency, spec.EffectiveTuning, spec.EffectiveSeed,
            spec.EffectiveDeployment.RequireApproval ? spec.EffectiveDeployment.ApprovalTimeoutHours : null, spec.EffectiveSplit.Refit, spec.EffectiveValidation.Ensemble);
    }
}
