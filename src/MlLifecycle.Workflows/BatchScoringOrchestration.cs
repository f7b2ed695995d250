using Microsoft.DurableTask;

namespace MlLifecycle.Workflows;

/// <summary>
/// A batch scoring job: check the input against the model's schema and split it into chunks (the version is pinned
/// here, so an alias moved mid-job cannot mix models) → score the chunks, fanned out with a concurrency cap → write
/// <c>predictions/{model}/{jobId}.csv</c> (input columns + prediction columns, in input order) → delete the chunks.
/// Rows travel only through Blob storage; the history holds blob names and counts. An input that cannot be scored
/// ends the job <c>Failed</c> with the reason, and no output.
/// </summary>
public sealed class BatchScoringOrchestration : TaskOrchestrator<BatchRequest, BatchResult>
{
    private static TaskOptions Retry => ActivityRetry.Options;

    public override async Task<BatchResult> RunAsync(TaskOrchestrationContext context, BatchRequest request)
    {
        var job = new BatchJob(context.InstanceId, request);
        var result = new BatchResult(job.JobId, job.Model, RunStatus.Failed, request.Input, request.Version, StartedAt: context.CurrentUtcDateTime);
        var progress = new BatchProgress("checking the input against the model's schema", request.Version, 0, 0, 0, 0);
        context.SetCustomStatus(progress);
        try
        {
            var plan = await context.CallActivityAsync<BatchPlan>(ActivityNames.PlanBatch, job, Retry);
            result = result with { Version = plan.Version, Rows = plan.Rows, Chunks = plan.ChunkRows.Count, Anomalies = plan.Anomalies, Message = plan.Error };
            if (plan.Error is null)
            {
                List<BatchChunk> chunks = [];
                var first = 0;
                foreach (var rows in plan.ChunkRows)
                {
                    chunks.Add(new BatchChunk(job, plan.Version!.Value, chunks.Count, first, rows));
                    first += rows;
                }

                progress = new BatchProgress("scoring", plan.Version, 0, chunks.Count, 0, plan.Rows);
                context.SetCustomStatus(progress);
                await TrainingOrchestration.FanOutAsync<BatchChunk, BatchChunkResult>(context, ActivityNames.ScoreBatchChunk, chunks, plan.MaxConcurrency, done =>
                {
                    progress = progress with { ChunksDone = progress.ChunksDone + 1, RowsScored = progress.RowsScored + done.Rows };
                    context.SetCustomStatus(progress);
                });
                context.SetCustomStatus(progress with { Stage = "writing the output" });
                var output = await context.CallActivityAsync<string>(ActivityNames.WriteBatchOutput, new BatchOutputInput(job, chunks.Count), Retry);
                result = result with { Status = RunStatus.Succeeded, Output = output };
            }
        }
        catch (TaskFailedException ex)
        {
            result = result with { Message = $"{ex.TaskName} failed: {ex.FailureDetails.ErrorMessage}" };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever went wrong, the job ends with a message (and its chunks deleted), not as a bare failed orchestration.
            result = result with { Message = $"{ex.GetType().Name}: {ex.Message}" };
        }

        try
        {
            await context.CallActivityAsync<int>(ActivityNames.CleanUpBatch, job, Retry);
        }
        catch (TaskFailedException ex)
        {
            // The outcome stands; only the job's working folder is left behind.
            result = result with { Message = (result.Message is null ? "" : result.Message + "; ") + $"the job's chunks could not be deleted: {ex.FailureDetails.ErrorMessage}" };
        }

        context.SetCustomStatus(progress with { Stage = result.Status, Version = result.Version });
        return result with { FinishedAt = context.CurrentUtcDateTime };
    }
}
