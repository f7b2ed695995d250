using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using MlLifecycle.Core.Evaluation;

namespace MlLifecycle.Workflows;

/// <summary>The orchestrations and activities of the lifecycle, by name, for any host.</summary>
/// <param name="Orchestrators">Each orchestration's name and a factory (orchestrators hold no services).</param>
/// <param name="Activities">Each activity's name and a factory resolving its services.</param>
public sealed record WorkflowTasks(
    IReadOnlyDictionary<string, Func<ITaskOrchestrator>> Orchestrators,
    IReadOnlyDictionary<string, Func<IServiceProvider, ITaskActivity>> Activities);

public static class WorkflowRegistration
{
    /// <summary>Registers the lifecycle services used by the activities.</summary>
    public static IServiceCollection AddMlLifecycleWorkflows(this IServiceCollection services)
    {
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<RunDataCache>();
        services.AddSingleton<ChampionScorer>();
        services.AddSingleton<LifecycleStages>();
        return services;
    }

    /// <summary>
    /// Every orchestration and activity, for the local host's Durable Task worker. The Functions app declares the same
    /// names as <c>[Function]</c>s; a test keeps the two lists equal.
    /// </summary>
    public static WorkflowTasks Tasks { get; } = new(
        new Dictionary<string, Func<ITaskOrchestrator>>
        {
            [ActivityNames.TrainingOrchestration] = () => new TrainingOrchestration(),
            [ActivityNames.TuningOrchestration] = () => new TuningOrchestration(),
        },
        new Dictionary<string, Func<IServiceProvider, ITaskActivity>>
        {
            [ActivityNames.ValidateDataset] = Stage<RunContext, ValidationOutcome>((s, i) => s.ValidateAsync(i)),
            [ActivityNames.QuarantineDataset] = Stage<QuarantineInput, bool>(async (s, i) => { await s.QuarantineAsync(i); return true; }),
            [ActivityNames.SplitDataset] = Stage<RunContext, SplitOutcome>((s, i) => s.SplitAsync(i)),
            [ActivityNames.EvaluateFold] = Stage<FoldInput, FoldResult>((s, i) => s.EvaluateFoldAsync(i)),
            [ActivityNames.RunTrial] = Stage<TrialInput, TrialRecord>((s, i) => s.RunTrialAsync(i)),
            [ActivityNames.TrainModel] = Stage<TrainInput, TrainOutcome>((s, i) => s.TrainAsync(i)),
            [ActivityNames.EvaluateModel] = Stage<RunContext, EvaluationOutcome>((s, i) => s.EvaluateAsync(i)),
            [ActivityNames.RegisterModel] = Stage<RegisterInput, int>((s, i) => s.RegisterAsync(i)),
            [ActivityNames.PromoteModel] = Stage<PromoteInput, bool>((s, i) => s.PromoteAsync(i)),
            [ActivityNames.RecordRun] = Stage<RunResult, bool>(async (s, i) => { await s.RecordRunAsync(i); return true; }),
        });

    private static Func<IServiceProvider, ITaskActivity> Stage<TIn, TOut>(Func<LifecycleStages, TIn, Task<TOut>> run) =>
        sp => new DelegateActivity<TIn, TOut>(input => run(sp.GetRequiredService<LifecycleStages>(), input));
}
