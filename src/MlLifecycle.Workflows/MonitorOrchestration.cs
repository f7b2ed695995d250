using Microsoft.DurableTask;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Workflows;

/// <summary>A scheduled check of one model over one window of the prediction log.</summary>
public sealed record MonitorRequest(string Model, DateTimeOffset From, DateTimeOffset To);

/// <summary>What a drift check found, without the per-feature evidence (that is in <see cref="Report"/>), and the champion's closed-loop settings.</summary>
public sealed record DriftSummary(string Model, int Version, string CheckId, long Rows, bool Drifted, IReadOnlyList<string> DriftedFeatures, bool PredictionDrifted, string Concept, bool Alert, string Report)
{
    public MonitorSpec? Monitor { get; init; }

    /// <summary>How long a promotion waits for approval; null when the spec needs none.</summary>
    public double? ApprovalHours { get; init; }

    public static DriftSummary Of(DriftReport report) => new(
        report.Model,
        report.Version,
        report.CheckId,
        report.Rows,
        report.Drifted,
        [.. report.Features.Where(f => f.Drifted).Select(f => f.Feature)],
        report.Prediction?.Drifted == true,
        report.Concept.State,
        report.Alert,
        report.Report);
}

public sealed record RetrainInput(string Model, int Champion, string RetrainId, DateTimeOffset From, DateTimeOffset To, DateTimeOffset Now, double LockHours);

/// <summary>The retraining data (<see cref="Dataset"/> in <c>datasets</c>), or why there is none.</summary>
/// <param name="Recent">Rows that are new: the window's labelled predictions, or the batch's rows.</param>
public sealed record RetrainPlan(string? Dataset, ProblemSpec? Spec, int Rows, int Recent, string? Refusal)
{
    public static RetrainPlan Refused(string why) => new(null, null, 0, 0, why);
}

public sealed record CanaryInput(string Model, int Champion, int Challenger, int Weight, string RetrainId);

/// <param name="CheckPredictions">Test the challenger's predictions against its baseline: only when the inputs have not drifted (else they cannot match it).</param>
/// <param name="MaxErrorRate">Share of its requests the challenger may fail before it is rolled back.</param>
public sealed record JudgeInput(string Model, int Champion, int Challenger, DateTimeOffset Since, DateTimeOffset Until, int MinLabels, double Tolerance, bool CheckPredictions, double MaxErrorRate = 0.01);

/// <param name="ChallengerRequests">Requests the split sent to the challenger.</param>
/// <param name="ChallengerErrors">Those it failed (the champion answered them).</param>
public sealed record CanaryJudgement(bool Promote, string Reason, long ChampionOutcomes, long ChallengerOutcomes, double? ChampionMean, double? ChallengerMean, bool PredictionDrifted, long ChallengerRequests = 0, long ChallengerErrors = 0);

public sealed record FinishInput(string Model, int Champion, int? Challenger, bool Promote, string Reason, string RetrainId);

/// <summary>What the closed loop did: <c>skipped</c>, <c>retrain-failed</c>, <c>kept-candidate</c>, <c>rolled-back</c>, <c>stopped</c> or <c>promoted</c>.</summary>
public sealed record LoopOutcome(string Action, int? Version, string Reason, string? RetrainRunId = null, CanaryJudgement? Canary = null);

/// <summary>What the monitor of a window did: its check (or why there was none) and the closed loop's outcome.</summary>
public sealed record MonitorResult(string Model, DateTimeOffset From, DateTimeOffset To, DriftSummary? Check, string? Message, LoopOutcome? Loop = null);

/// <summary>
/// The scheduled monitor of one model and window, started by the drift timer under the instance id
/// <see cref="InstanceId"/>: a window is checked once however often the timer fires or however many hosts run it.
/// The check (data, prediction and concept drift, recorded in the <c>drift</c> table, alerts raised) is one activity.
/// When the champion's spec opts in (<c>monitor.retrain</c>) and its features drifted or its realized metric degraded,
/// the monitor closes the loop: retrain (a training run as a sub-orchestration that registers without promoting) →
/// the run's gate against the champion → canary (a traffic split held for the bake period on a durable timer) →
/// judge it on early feedback and prediction drift → approval when the spec asks → promote, or roll back, with the
/// reason in the deployment history. One retrain of a model at a time (a lock in the registry). The history of this
/// orchestration is the loop's audit log.
/// </summary>
public sealed class MonitorOrchestration : TaskOrchestrator<MonitorRequest, MonitorResult>
{
    public const string Challenger = "challenger";

    /// <summary>Who the closed loop's deployment changes are recorded as.</summary>
    public const string Actor = "monitor";

    private const int Steps = 5;

    public static string InstanceId(string model, DateTimeOffset from) => $"monitor-{model}-{from.UtcDateTime:yyyyMMddHHmm}";

    public static string CheckId(DateTimeOffset from) => $"window-{from.UtcDateTime:yyyyMMddHHmm}";

    public static string RetrainId(string model, DateTimeOffset from) => $"retrain-{model}-{from.UtcDateTime:yyyyMMddHHmm}";

    private static TaskOptions Retry => ActivityRetry.Options;

    public override async Task<MonitorResult> RunAsync(TaskOrchestrationContext context, MonitorRequest request)
    {
        DriftSummary check;
        context.SetCustomStatus(new RunProgress("checking drift", 1, Steps));
        try
        {
            check = await context.CallActivityAsync<DriftSummary>(ActivityNames.CheckDrift, new DriftCheckRequest(request.Model, CheckId(request.From), request.From, request.To), Retry);
        }
        catch (TaskFailedException ex) when (ex.FailureDetails.IsCausedBy<DriftCheckException>())
        {
            // No champion or no baseline: nothing to check in this window, and nothing was recorded. Other failures fail the monitor, visibly.
            context.SetCustomStatus(new RunProgress("not checkable", Steps, Steps));
            return new MonitorResult(request.Model, request.From, request.To, null, ex.FailureDetails.ErrorMessage);
        }

        var result = new MonitorResult(request.Model, request.From, request.To, check, null);
        if (check.Monitor is not { Retrain: true } monitor || !(check.Drifted || check.Concept == DriftMonitor.Degraded))
        {
            context.SetCustomStatus(new RunProgress("checked", Steps, Steps));
            return result;
        }

        result = result with { Loop = await CloseLoopAsync(context, request, check, monitor) };
        context.SetCustomStatus(new RunProgress(result.Loop.Action, Steps, Steps));
        return result;
    }

    private static async Task<LoopOutcome> CloseLoopAsync(TaskOrchestrationContext context, MonitorRequest request, DriftSummary check, MonitorSpec monitor)
    {
        var model = request.Model;
        var retrainId = RetrainId(model, request.From);
        var lockHours = (monitor.BakeMinutes / 60) + (check.ApprovalHours ?? 0) + 6;
        var plan = await context.CallActivityAsync<RetrainPlan>(ActivityNames.PrepareRetrain, new RetrainInput(model, check.Version, retrainId, request.From, request.To, context.CurrentUtcDateTime, lockHours), Retry);
        if (plan.Refusal is { } refusal)
        {
            return new LoopOutcome("skipped", null, refusal);
        }

        int? challenger = null;
        var outcome = new LoopOutcome("retrain-failed", null, "", retrainId);
        try
        {
            context.SetCustomStatus(new RunProgress($"retraining on {plan.Rows} rows ({plan.Recent} new)", 2, Steps));
            var run = await context.CallSubOrchestratorAsync<RunResult>(
                ActivityNames.TrainingOrchestration,
                new TrainingRequest(model, plan.Dataset!, plan.Spec, Promote: false),
                new SubOrchestrationOptions { InstanceId = retrainId });
            if (run.Status != RunStatus.Succeeded || run.Version is not { } version)
            {
                return outcome = outcome with { Reason = $"retrain {run.Status}: {run.Message}" };
            }

            if (run.Gate is not { Passed: true })
            {
                return outcome = new LoopOutcome("kept-candidate", version, $"v{version} failed the gate: {run.Gate?.Reason}", retrainId);
            }

            context.SetCustomStatus(new RunProgress($"canary of v{version} at {monitor.CanaryWeight} %", 3, Steps));
            if (await context.CallActivityAsync<DateTimeOffset?>(ActivityNames.StartCanary, new CanaryInput(model, check.Version, version, monitor.CanaryWeight, retrainId), Retry) is not { } since)
            {
                return outcome = new LoopOutcome("kept-candidate", version, $"v{version} passed the gate, but a traffic split someone else set is in place: no canary", retrainId);
            }

            challenger = version;
            await context.CreateTimer(TimeSpan.FromMinutes(monitor.BakeMinutes), CancellationToken.None);
            var judgement = await context.CallActivityAsync<CanaryJudgement>(ActivityNames.JudgeCanary, new JudgeInput(model, check.Version, version, since, context.CurrentUtcDateTime, monitor.MinCanaryLabels, monitor.CanaryTolerance, CheckPredictions: !check.Drifted, monitor.CanaryMaxErrorRate), Retry);
            var (promote, reason) = (judgement.Promote, judgement.Reason);
            if (promote && check.ApprovalHours is { } hours)
            {
                var approval = await TrainingOrchestration.WaitForApprovalAsync(context, version, hours);
                (promote, reason) = (approval.Approved, $"{reason}; {(approval.Approved ? "approved" : "not approved")} by {approval.By}");
            }

            outcome = new LoopOutcome(promote ? "promoted" : reason.StartsWith("rolled back", StringComparison.Ordinal) ? "rolled-back" : "stopped", version, reason, retrainId, judgement);
            return outcome;
        }
        finally
        {
            // Always: end the split (promoting first when the canary earned it) and release the lock.
            await context.CallActivityAsync<bool>(ActivityNames.FinishCanary, new FinishInput(model, check.Version, challenger, outcome.Action == "promoted", outcome.Reason, retrainId), Retry);
        }
    }
}
