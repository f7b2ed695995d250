using Microsoft.DurableTask;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Storage;
using MlLifecycle.Workflows.Activities;

namespace MlLifecycle.Workflows;

/// <summary>
/// The lifecycle run: validate → split → cross-validate every candidate trainer (one activity per trainer and fold,
/// fanned out with a concurrency cap) → tune the best (optional) → select a weighted ensemble over the candidates'
/// out-of-fold predictions, kept only when it cross-validates better → refit the choice on train + validation →
/// evaluate once on the test split →
/// train the same configuration on every row, the model served (unless the spec's <c>split.refit</c> is false) →
/// register → promote if the gate passes. A dataset that fails validation ends the run <c>Rejected</c> with nothing
/// registered (and a copy in quarantine when the file is at fault).
/// </summary>
public sealed class TrainingOrchestration : TaskOrchestrator<TrainingRequest, RunResult>
{
    public const int Steps = 7;

    /// <summary>The step that cross-validates (its progress counts folds; the run moves past it only when every fold is scored).</summary>
    public const int CrossValidationStep = 3;

    /// <summary>The step that tunes (its progress counts trials), then selects the ensemble and trains.</summary>
    public const int TuningStep = 4;

    /// <summary>The external event that approves or rejects a version waiting for approval (<see cref="ApprovalDecision"/>).</summary>
    public const string ApprovalEvent = "Approval";

    private static TaskOptions Retry => ActivityRetry.Options;

    public override async Task<RunResult> RunAsync(TaskOrchestrationContext context, TrainingRequest request)
    {
        var run = new RunContext(context.InstanceId, request.Model, request.Dataset, request.Spec, request.ETag);
        var result = new RunResult(run.RunId, run.Model, RunStatus.Failed, run.Dataset, StartedAt: context.CurrentUtcDateTime);
        Task<TrainOutcome>? refitting = null;
        try
        {
            context.SetCustomStatus(new RunProgress("validating data", 1, Steps));
            var data = await context.CallActivityAsync<ValidationOutcome>(ActivityNames.ValidateDataset, run, Retry);
            result = result with { Task = data.Task, PrimaryMetric = data.PrimaryMetric, Data = data.Data, Anomalies = data.Anomalies };
            if (!data.Accepted)
            {
                result = result with
                {
                    Status = RunStatus.Rejected,
                    Message = string.Join("; ", data.Anomalies.Where(a => a.Severity == Severity.Error).Select(a => $"{a.Code}: {a.Message}")),
                };
                try
                {
                    await context.CallActivityAsync(ActivityNames.QuarantineDataset, new QuarantineInput(run, data.Anomalies), Retry);
                }
                catch (TaskFailedException ex)
                {
                    // The data was still rejected: say so, and that no quarantine copy was made.
                    result = result with { Message = $"{result.Message}; the quarantine copy failed: {ex.FailureDetails.ErrorMessage}" };
                }
            }
            else
            {
                context.SetCustomStatus(new RunProgress("splitting train/validation/test and planning folds", 2, Steps));
                var split = await context.CallActivityAsync<SplitOutcome>(ActivityNames.SplitDataset, run, Retry);
                var folds = split.Trainers.SelectMany(t => Enumerable.Range(0, split.Folds).Select(f => new FoldInput(run, t, f))).ToList();
                var scored = 0;
                var sampled = split.SampleRows is { } sample ? $" on a stratified sample of {sample:N0} of {split.Train + split.Validation:N0} rows" : "";
                void FoldsDone() => context.SetCustomStatus(new RunProgress($"cross-validating {split.Trainers.Count} trainers × {split.Folds} folds ({split.Method}){sampled}: {scored}/{folds.Count} scored", CrossValidationStep, Steps, scored, folds.Count));
                FoldsDone();
                var results = await FanOutAsync<FoldInput, FoldResult>(context, ActivityNames.EvaluateFold, folds, split.MaxConcurrency, _ => { scored++; FoldsDone(); });
                var summaries = ModelSelection.Summarize(results);
                if (ModelSelection.Best(summaries, data.PrimaryMetric!) is not { } winner)
                {
                    result = result with { Selection = new SelectionSummary(split.Method, split.Folds, "", summaries, split.SampleRows) };
                    throw new CandidatesFailedException(ModelSelection.Failures(summaries));
                }

                var selection = new SelectionSummary(split.Method, split.Folds, winner, summaries, split.SampleRows);
                result = result with { Selection = selection };
                TuningResult? tuning = null;
                if (split.Tuning.Strategy != TuningStrategy.None)
                {
                    context.SetCustomStatus(new RunProgress($"tuning {selection.Winner} ({split.Tuning.Strategy})", TuningStep, Steps));
                    var search = new TuningState(new TuningInput(run, selection.Winner, data.PrimaryMetric!, split.Seed, split.Tuning), [], context.CurrentUtcDateTime);
                    tuning = await context.CallSubOrchestratorAsync<TuningResult>(ActivityNames.TuningOrchestration, search, new SubOrchestrationOptions { InstanceId = RunIds.Tuning(run.RunId) });
                    result = result with { Tuning = tuning };
                }

                var members = split.Ensemble ? await SelectEnsembleAsync(context, run, data.PrimaryMetric!, split.Folds, summaries, selection.Winner, tuning) : null;
                result = result with { Ensemble = members };
                var chosen = members is { Chosen: true } ? members.Members : null;
                var what = chosen is null ? selection.Winner : $"an ensemble of {string.Join(", ", chosen.Select(m => m.Name))}";
                var allRows = $"on all {split.Train + split.Validation + split.Test} rows, the model to serve";
                var training = context.CallActivityAsync<TrainOutcome>(ActivityNames.TrainModel, new TrainInput(run, selection.Winner, tuning?.BestOptions, chosen), Retry);

                // The model to serve does not depend on the evaluation: it trains beside the evaluated one (each
                // training holds one core) unless the spec caps the run at one activity at a time, or the memory budget
                // holds one training on every row, not two.
                Task<TrainOutcome> Refit() => context.CallActivityAsync<TrainOutcome>(ActivityNames.RefitModel, new TrainInput(run, selection.Winner, tuning?.BestOptions, chosen), Retry);
                refitting = split.Refit && split.MaxConcurrency > 1 && !split.OneTrainingAtATime ? Refit() : null;
                context.SetCustomStatus(new RunProgress($"training {what} on train + validation{(refitting is null ? "" : $", and {allRows}")}", TuningStep, Steps));
                var trained = await training;
                context.SetCustomStatus(new RunProgress("evaluating on the test split", 5, Steps));
                var evaluation = await context.CallActivityAsync<EvaluationOutcome>(ActivityNames.EvaluateModel, run, Retry);
                result = result with { Metrics = evaluation.Test, Criteria = evaluation.Criteria, Gate = evaluation.Gate, Importance = evaluation.Importance, Features = trained.Features };
                TrainOutcome? refit = null;
                if (split.Refit)
                {
                    context.SetCustomStatus(new RunProgress($"training {what} {allRows}", 6, Steps));
                    refit = await (refitting ?? Refit());
                    result = result with { RefitRows = refit.Rows, Features = refit.Features };
                }

                if (request.Reproduce is { } original)
                {
                    context.SetCustomStatus(new RunProgress($"comparing with v{original}", 7, Steps));
                    var outcome = await context.CallActivityAsync<ReproductionOutcome>(ActivityNames.CompareReproduction, new ReproduceInput(run, original, data.DataSha256!, evaluation.Test, refit is not null), Retry);
                    return await FinishAsync(context, result with
                    {
                        Status = RunStatus.Succeeded,
                        Reproduction = outcome,
                        Message = outcome.Reproduced ? $"reproduces v{original} exactly: model bytes and test metrics" : $"does not reproduce v{original}: {string.Join("; ", outcome.Differences)}",
                    });
                }

                context.SetCustomStatus(new RunProgress("registering", 6, Steps));
                var version = await context.CallActivityAsync<int>(ActivityNames.RegisterModel, new RegisterInput(run, data.Task!.Value, data.Label!, data.PrimaryMetric!, data.Seed, data.DataSha256!, data.Data!, trained.Trainer, trained.Seconds, evaluation, selection, tuning, refit, members), Retry);
                result = result with { Version = version };
                var promote = evaluation.Gate.Passed && request.Promote;
                if (promote && split.ApprovalHours is { } hours)
                {
                    var approval = await WaitForApprovalAsync(context, version, hours);
                    promote = approval.Approved;
                    result = result with { Message = $"{(approval.Approved ? "approved" : "not approved")} by {approval.By}{(approval.Reason is null ? "" : $": {approval.Reason}")}" };
                }

                context.SetCustomStatus(new RunProgress(promote ? "promoting to champion" : !evaluation.Gate.Passed ? "kept as candidate (gate failed)" : request.Promote ? "kept as candidate (not approved)" : "kept as candidate (for a canary)", 7, Steps));
                var champion = await context.CallActivityAsync<bool>(ActivityNames.PromoteModel, new PromoteInput(run.Model, version, promote, evaluation.Gate.ChampionVersion), Retry);
                result = result with { Status = RunStatus.Succeeded, Champion = champion };
            }
        }
        catch (TaskFailedException ex)
        {
            result = result with { Status = RunStatus.Failed, Message = $"{ex.TaskName} failed: {ex.FailureDetails.ErrorMessage}" };
        }
        catch (CandidatesFailedException ex)
        {
            result = result with { Status = RunStatus.Failed, Message = ex.Message };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever went wrong, the run ends with a message and a runs row, not as a bare failed orchestration.
            result = result with { Status = RunStatus.Failed, Message = $"{ex.GetType().Name}: {ex.Message}" };
        }

        if (refitting is { IsCompleted: false })
        {
            // The evaluated model's training or evaluation failed: the run ends once the refit beside it has, so none of its work outlives it.
            try
            {
                await refitting;
            }
            catch (TaskFailedException)
            {
                // Its failure changes nothing: the run has already failed.
            }
        }

        return await FinishAsync(context, result);
    }

    /// <summary>Records the run's outcome in the runs table and returns it.</summary>
    private static async Task<RunResult> FinishAsync(TaskOrchestrationContext context, RunResult result)
    {
        result = result with { FinishedAt = context.CurrentUtcDateTime };
        try
        {
            await context.CallActivityAsync(ActivityNames.RecordRun, RunRow(result), Retry);
        }
        catch (TaskFailedException ex)
        {
            // The outcome stands (a promoted version stays promoted); only the runs table missed it.
            result = result with { Message = (result.Message is null ? "" : result.Message + "; ") + $"the run could not be recorded in the runs table: {ex.FailureDetails.ErrorMessage}" };
        }

        context.SetCustomStatus(new RunProgress(result.Status, Steps, Steps));
        return result;
    }

    /// <summary>
    /// Waits for the <see cref="ApprovalEvent"/> of a version that passed the gate, for at most
    /// <paramref name="hours"/> (a durable timer: the wait survives restarts and costs nothing while idle); no answer
    /// in time is a rejection.
    /// </summary>
    internal static async Task<ApprovalDecision> WaitForApprovalAsync(TaskOrchestrationContext context, int version, double hours)
    {
        context.SetCustomStatus(new RunProgress($"waiting for approval of v{version} (POST /api/runs/{context.InstanceId}/approval, up to {hours:G4} h)", 7, Steps));
        try
        {
            return await context.WaitForExternalEvent<ApprovalDecision>(ApprovalEvent, TimeSpan.FromHours(hours));
        }
        catch (TaskCanceledException)
        {
            return new ApprovalDecision(false, "timeout", $"no approval within {hours:G4} h");
        }
    }

    /// <summary>
    /// Ensemble selection over the trainers that trained on every fold (default options, every fold's predictions) and
    /// the best tuning trials of the winner (the validation split's predictions); null when there is only one candidate.
    /// </summary>
    private static async Task<EnsembleOutcome?> SelectEnsembleAsync(TaskOrchestrationContext context, RunContext run, string metric, int folds, IReadOnlyList<TrainerSummary> summaries, string winner, TuningResult? tuning)
    {
        List<EnsembleCandidate> candidates =
        [
            .. summaries.Where(s => s.Error is null).Select(s => new EnsembleCandidate(s.Trainer, s.Trainer, null, folds)),
            .. (tuning?.Leaders ?? []).Select(t => new EnsembleCandidate(RunTrial.TrialCandidate(winner, t.Id), winner, t.Options, 1)),
        ];
        if (candidates.Count < 2)
        {
            return null;
        }

        context.SetCustomStatus(new RunProgress($"selecting an ensemble of {candidates.Count} candidates", TuningStep, Steps));
        try
        {
            return await context.CallActivityAsync<EnsembleOutcome>(ActivityNames.SelectEnsemble, new EnsembleInput(run, metric, candidates), Retry);
        }
        catch (TaskFailedException ex)
        {
            // An ensemble is an option, not a stage the run needs: the single winner is served, and the run says why.
            return new EnsembleOutcome(false, [], metric, null, null, null, 0, $"ensemble selection failed, the single winner is served: {ex.FailureDetails.ErrorMessage}");
        }
    }

    /// <summary>The run's row in the <c>runs</c> table: only what the table keeps travels to the activity.</summary>
    private static RunRecord RunRow(RunResult result) =>
        new(result.RunId, result.Model, result.Status, result.Dataset, result.Version, result.Task?.ToString(), result.Metrics, result.Message, result.StartedAt, result.FinishedAt);

    /// <summary>
    /// Runs one activity per input with at most <paramref name="maxConcurrency"/> in flight; results keep the input
    /// order. <paramref name="completed"/> sees each result as it arrives (to report progress).
    /// </summary>
    internal static async Task<List<TOut>> FanOutAsync<TIn, TOut>(TaskOrchestrationContext context, string activity, IReadOnlyList<TIn> inputs, int maxConcurrency, Action<TOut>? completed = null)
    {
        var results = new TOut[inputs.Count];
        var running = new Dictionary<Task<TOut>, int>();
        var next = 0;
        while (next < inputs.Count || running.Count > 0)
        {
            while (running.Count < maxConcurrency && next < inputs.Count)
            {
                running[context.CallActivityAsync<TOut>(activity, inputs[next], Retry)] = next++;
            }

            var done = await Task.WhenAny(running.Keys);
            var index = running[done];
            results[index] = await done;
            running.Remove(done);
            completed?.Invoke(results[index]);
        }

        return [.. results];
    }
}

/// <summary>Every candidate trainer failed on some cross-validation fold (the message lists each one's failure).</summary>
internal sealed class CandidatesFailedException(string message) : Exception(message);
