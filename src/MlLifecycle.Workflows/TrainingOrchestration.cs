using Microsoft.DurableTask;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Workflows;

/// <summary>
/// The lifecycle run: validate → split → train → evaluate → register → promote, one activity per stage.
/// A dataset that fails validation is quarantined and the run ends <c>Rejected</c> with nothing registered.
/// </summary>
public sealed class TrainingOrchestration : TaskOrchestrator<TrainingRequest, RunResult>
{
    public const int Steps = 6;

    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(2), backoffCoefficient: 2));

    public override async Task<RunResult> RunAsync(TaskOrchestrationContext context, TrainingRequest request)
    {
        var run = new RunContext(context.InstanceId, request.Model, request.Dataset, request.Spec);
        var result = new RunResult(run.RunId, run.Model, RunStatus.Failed, run.Dataset, StartedAt: context.CurrentUtcDateTime);
        try
        {
            context.SetCustomStatus(new RunProgress("validating data", 1, Steps));
            var data = await context.CallActivityAsync<ValidationOutcome>(ActivityNames.ValidateDataset, run, Retry);
            if (!data.Accepted)
            {
                await context.CallActivityAsync(ActivityNames.QuarantineDataset, new QuarantineInput(run, data.Anomalies), Retry);
                result = result with
                {
                    Status = RunStatus.Rejected,
                    Anomalies = data.Anomalies,
                    Message = string.Join("; ", data.Anomalies.Where(a => a.Severity == Severity.Error).Select(a => $"{a.Code}: {a.Message}")),
                };
            }
            else
            {
                context.SetCustomStatus(new RunProgress("splitting train/validation/test", 2, Steps));
                await context.CallActivityAsync<SplitOutcome>(ActivityNames.SplitDataset, run, Retry);
                context.SetCustomStatus(new RunProgress("training", 3, Steps));
                var training = await context.CallActivityAsync<TrainOutcome>(ActivityNames.TrainModel, run, Retry);
                context.SetCustomStatus(new RunProgress("evaluating on the test split", 4, Steps));
                var evaluation = await context.CallActivityAsync<EvaluationOutcome>(ActivityNames.EvaluateModel, run, Retry);
                context.SetCustomStatus(new RunProgress("registering", 5, Steps));
                var version = await context.CallActivityAsync<int>(ActivityNames.RegisterModel, new RegisterInput(run, data, training, evaluation), Retry);
                context.SetCustomStatus(new RunProgress("promoting", 6, Steps));
                var champion = await context.CallActivityAsync<bool>(ActivityNames.PromoteModel, new PromoteInput(run.Model, version), Retry);
                result = result with
                {
                    Status = RunStatus.Succeeded,
                    Task = data.Task,
                    Version = version,
                    Champion = champion,
                    PrimaryMetric = data.PrimaryMetric,
                    Metrics = evaluation.Test,
                    Criteria = evaluation.Criteria,
                    Data = data.Data,
                    Anomalies = data.Anomalies,
                };
            }
        }
        catch (TaskFailedException ex)
        {
            result = result with { Status = RunStatus.Failed, Message = $"{ex.TaskName} failed: {ex.FailureDetails.ErrorMessage}" };
        }

        result = result with { FinishedAt = context.CurrentUtcDateTime };
        await context.CallActivityAsync(ActivityNames.RecordRun, result, Retry);
        context.SetCustomStatus(new RunProgress(result.Status, Steps, Steps));
        return result;
    }
}
