using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using MlLifecycle.Core.Evaluation;

namespace MlLifecycle.Workflows;

public static class WorkflowRegistration
{
    /// <summary>Registers the lifecycle services used by the activities.</summary>
    public static IServiceCollection AddMlLifecycleWorkflows(this IServiceCollection services)
    {
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<LifecycleStages>();
        return services;
    }

    /// <summary>
    /// Every orchestration and activity, for a <c>Microsoft.DurableTask</c> worker (the local host). The Functions app
    /// declares the same names as <c>[Function]</c>s; a test keeps the two lists equal.
    /// </summary>
    public static DurableTaskRegistry AddMlLifecycleTasks(this DurableTaskRegistry registry)
    {
        registry.AddOrchestrator<TrainingOrchestration>();
        Add<RunContext, ValidationOutcome>(ActivityNames.ValidateDataset, (s, i) => s.ValidateAsync(i));
        Add<QuarantineInput, bool>(ActivityNames.QuarantineDataset, async (s, i) => { await s.QuarantineAsync(i); return true; });
        Add<RunContext, SplitOutcome>(ActivityNames.SplitDataset, (s, i) => s.SplitAsync(i));
        Add<FoldInput, FoldResult>(ActivityNames.EvaluateFold, (s, i) => s.EvaluateFoldAsync(i));
        Add<TrialInput, TrialRecord>(ActivityNames.RunTrial, (s, i) => s.RunTrialAsync(i));
        Add<TrainInput, TrainOutcome>(ActivityNames.TrainModel, (s, i) => s.TrainAsync(i));
        Add<RunContext, EvaluationOutcome>(ActivityNames.EvaluateModel, (s, i) => s.EvaluateAsync(i));
        Add<RegisterInput, int>(ActivityNames.RegisterModel, (s, i) => s.RegisterAsync(i));
        Add<PromoteInput, bool>(ActivityNames.PromoteModel, (s, i) => s.PromoteAsync(i));
        Add<RunResult, bool>(ActivityNames.RecordRun, async (s, i) => { await s.RecordRunAsync(i); return true; });
        return registry;

        void Add<TIn, TOut>(string name, Func<LifecycleStages, TIn, Task<TOut>> run) =>
            registry.AddActivity(name, sp => new DelegateActivity<TIn, TOut>(input => run(sp.GetRequiredService<LifecycleStages>(), input)));
    }
}
