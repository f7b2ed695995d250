using Microsoft.Extensions.Options;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.SplitDataset"/> activity.</summary>
public sealed class SplitDataset(RunDataCache cache, IOptions<LifecycleOptions> options)
{
    /// <summary>The holdout split and the cross-validation folds (<c>split.json</c>, planned by the validation stage, which refuses data that cannot be split).</summary>
    public async Task<SplitOutcome> RunAsync(RunContext run)
    {
        var (table, _, spec, _, _) = await cache.GetAsync(run);
        var plan = await cache.GetPlanAsync(run);
        var budget = new MemoryBudget(options.Value.MemoryBudgetMb);
        var oneAtATime = !plan.Trainers.All(t => budget.Fits(table.RowCount, table.Columns.Count, trainings: 2, t));
        if (spec.EffectiveTuning.Strategy != TuningStrategy.None && plan.Split.Validation.Length == 0)
        {
            throw new InvalidOperationException("Tuning scores trials on the validation split: set split.validation > 0.");
        }

        return new SplitOutcome(plan.Split.Train.Length, plan.Split.Validation.Length, plan.Split.Test.Length, plan.Method, plan.Folds.Count, plan.Trainers, plan.MaxConcurrency, spec.EffectiveTuning, spec.EffectiveSeed,
            spec.EffectiveDeployment.RequireApproval ? spec.EffectiveDeployment.ApprovalTimeoutHours : null, spec.EffectiveSplit.Refit, spec.EffectiveValidation.Ensemble, plan.Sample?.Length, oneAtATime);
    }
}
