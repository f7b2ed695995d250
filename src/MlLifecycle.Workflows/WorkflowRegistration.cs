using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Storage;
using MlLifecycle.Workflows.Activities;

namespace MlLifecycle.Workflows;

/// <summary>The orchestrations and activities of the lifecycle, by name, for any host.</summary>
/// <param name="Orchestrators">Each orchestration's name and a factory (orchestrators hold no services).</param>
/// <param name="Activities">Each activity's name and a factory resolving its services.</param>
public sealed record WorkflowTasks(
    IReadOnlyDictionary<string, Func<ITaskOrchestrator>> Orchestrators,
    IReadOnlyDictionary<string, Func<IServiceProvider, ITaskActivity>> Activities);

public static class WorkflowRegistration
{
    /// <summary>
    /// Registers the activities and the services they share. Activities read their inputs from the run's working folder
    /// in Blob storage and write deterministic blob names, so an activity delivered twice does the same thing twice.
    /// </summary>
    public static IServiceCollection AddMlLifecycleWorkflows(this IServiceCollection services)
    {
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<RunDataCache>();
        services.AddSingleton<ChampionScorer>();
        services.AddSingleton<ValidateDataset>();
        services.AddSingleton<QuarantineDataset>();
        services.AddSingleton<SplitDataset>();
        services.AddSingleton<EvaluateFold>();
        services.AddSingleton<RunTrial>();
        services.AddSingleton<SelectEnsemble>();
        services.AddSingleton<TrainModel>();
        services.AddSingleton<EvaluateModel>();
        services.AddSingleton<RegisterModel>();
        services.AddSingleton<PromoteModel>();
        services.AddSingleton<RecordRun>();
        services.AddSingleton<CompareReproduction>();
        services.AddSingleton<PlanBatch>();
        services.AddSingleton<ScoreBatchChunk>();
        services.AddSingleton<WriteBatchOutput>();
        services.AddSingleton<CleanUpBatch>();
        services.AddSingleton<DriftMonitor>();
        services.AddSingleton<CheckDrift>();
        services.AddSingleton<PrepareRetrain>();
        services.AddSingleton<StartCanary>();
        services.AddSingleton<JudgeCanary>();
        services.AddSingleton<FinishCanary>();
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
            [ActivityNames.BatchScoringOrchestration] = () => new BatchScoringOrchestration(),
            [ActivityNames.MonitorOrchestration] = () => new MonitorOrchestration(),
        },
        new Dictionary<string, Func<IServiceProvider, ITaskActivity>>
        {
            [ActivityNames.ValidateDataset] = Activity<ValidateDataset, RunContext, ValidationOutcome>((a, i) => a.RunAsync(i)),
            [ActivityNames.QuarantineDataset] = Activity<QuarantineDataset, QuarantineInput, bool>(async (a, i) => { await a.RunAsync(i); return true; }),
            [ActivityNames.SplitDataset] = Activity<SplitDataset, RunContext, SplitOutcome>((a, i) => a.RunAsync(i)),
            [ActivityNames.EvaluateFold] = Activity<EvaluateFold, FoldInput, FoldResult>((a, i) => a.RunAsync(i)),
            [ActivityNames.RunTrial] = Activity<RunTrial, TrialInput, TrialRecord>((a, i) => a.RunAsync(i)),
            [ActivityNames.SelectEnsemble] = Activity<SelectEnsemble, EnsembleInput, EnsembleOutcome>((a, i) => a.RunAsync(i)),
            [ActivityNames.TrainModel] = Activity<TrainModel, TrainInput, TrainOutcome>((a, i) => a.RunAsync(i)),
            [ActivityNames.EvaluateModel] = Activity<EvaluateModel, RunContext, EvaluationOutcome>((a, i) => a.RunAsync(i)),
            [ActivityNames.RefitModel] = Activity<TrainModel, TrainInput, TrainOutcome>((a, i) => a.RefitAsync(i)),
            [ActivityNames.RegisterModel] = Activity<RegisterModel, RegisterInput, int>((a, i) => a.RunAsync(i)),
            [ActivityNames.PromoteModel] = Activity<PromoteModel, PromoteInput, bool>((a, i) => a.RunAsync(i)),
            [ActivityNames.RecordRun] = Activity<RecordRun, RunRecord, bool>(async (a, i) => { await a.RunAsync(i); return true; }),
            [ActivityNames.CompareReproduction] = Activity<CompareReproduction, ReproduceInput, ReproductionOutcome>((a, i) => a.RunAsync(i)),
            [ActivityNames.PlanBatch] = Activity<PlanBatch, BatchJob, BatchPlan>((a, i) => a.RunAsync(i)),
            [ActivityNames.ScoreBatchChunk] = Activity<ScoreBatchChunk, BatchChunk, BatchChunkResult>((a, i) => a.RunAsync(i)),
            [ActivityNames.WriteBatchOutput] = Activity<WriteBatchOutput, BatchOutputInput, string>((a, i) => a.RunAsync(i)),
            [ActivityNames.CleanUpBatch] = Activity<CleanUpBatch, BatchJob, int>((a, i) => a.RunAsync(i)),
            [ActivityNames.CheckDrift] = Activity<CheckDrift, DriftCheckRequest, DriftSummary>((a, i) => a.RunAsync(i)),
            [ActivityNames.PrepareRetrain] = Activity<PrepareRetrain, RetrainInput, RetrainPlan>((a, i) => a.RunAsync(i)),
            [ActivityNames.StartCanary] = Activity<StartCanary, CanaryInput, DateTimeOffset?>((a, i) => a.RunAsync(i)),
            [ActivityNames.JudgeCanary] = Activity<JudgeCanary, JudgeInput, CanaryJudgement>((a, i) => a.RunAsync(i)),
            [ActivityNames.FinishCanary] = Activity<FinishCanary, FinishInput, bool>((a, i) => a.RunAsync(i)),
        });

    private static Func<IServiceProvider, ITaskActivity> Activity<TActivity, TIn, TOut>(Func<TActivity, TIn, Task<TOut>> run)
        where TActivity : notnull =>
        sp => new DelegateActivity<TIn, TOut>(input => run(sp.GetRequiredService<TActivity>(), input));
}
