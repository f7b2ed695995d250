using System.Text.Json.Serialization;
using Microsoft.DurableTask.Client;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>What <c>GET /api/runs/{runId}</c> and <c>status</c> show of a run.</summary>
public sealed record RunView(
    string RunId,
    string Status,
    string? Stage,
    int? Step,
    int? Steps,
    string? Model,
    string? Dataset,
    MlTask? Task,
    int? Version,
    bool? Champion,
    string? PrimaryMetric,
    Dictionary<string, double>? Metrics,
    IReadOnlyList<CriterionResult>? Criteria,
    GateDecision? Gate,
    SelectionSummary? Selection,
    DataSummary? Data,
    string? Message,
    IReadOnlyList<Anomaly>? Anomalies,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt)
{
    /// <summary>Work items of the current stage finished so far (folds while cross-validating, trials while tuning); null when the stage has none.</summary>
    public int? Done { get; init; }

    /// <summary>Work items of the current stage in all.</summary>
    public int? Total { get; init; }

    /// <summary>Cross-validation folds scored so far (trainer, fold, metrics).</summary>
    public IReadOnlyList<FoldResult>? Folds { get; init; }

    /// <summary>Tuning trials so far (options, resource, score, executions).</summary>
    public IReadOnlyList<MlLifecycle.Storage.TuningTrialRecord>? Trials { get; init; }

    public TuningResult? Tuning { get; init; }

    /// <summary>The final model's inputs before and after selection.</summary>
    public FeatureSummary? Features { get; init; }

    /// <summary>Top permutation importances of the final model on the test split.</summary>
    public IReadOnlyList<FeatureImportance>? Importance { get; init; }

    /// <summary>Rows the served model was trained on when it is the refit on every row (spec <c>split.refit</c>); null otherwise.</summary>
    public int? RefitRows { get; init; }

    /// <summary>What ensemble selection found (members, weights, scores, whether it is served); null when it did not run.</summary>
    public EnsembleOutcome? Ensemble { get; init; }

    /// <summary>A reproduction run's comparison with the version it re-ran; null for other runs.</summary>
    public ReproductionOutcome? Reproduction { get; init; }

    /// <summary>A drift monitor seen as a run (<c>status</c>, <c>GET /api/runs/{id}</c>, approval): its stage, and what its loop did.</summary>
    private static RunView Monitor(OrchestrationMetadata instance)
    {
        var request = instance.ReadInputAs<MonitorRequest>();
        var progress = instance.ReadCustomStatusAs<RunProgress>();
        var result = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<MonitorResult>() : null;
        var status = instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => RunStatus.Succeeded,
            OrchestrationRuntimeStatus.Failed => RunStatus.Failed,
            var other => other.ToString(),
        };
        var message = result?.Loop is { } loop ? $"{loop.Action}: {loop.Reason}" : result?.Message ?? instance.FailureDetails?.ErrorMessage;
        return new RunView(instance.InstanceId, status, progress?.Stage, progress?.Step, progress?.Steps, request?.Model, null, null, result?.Loop?.Version, result?.Loop?.Action == "promoted", null, null, null, null, null, null, message, null, instance.CreatedAt, instance.LastUpdatedAt);
    }

    [JsonIgnore]
    public bool IsFinished => Status is RunStatus.Succeeded or RunStatus.Rejected or RunStatus.Failed or "Terminated";

    public static async Task<RunView?> GetAsync(DurableTaskClient client, string runId, CancellationToken ct = default)
    {
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        if (instance is null)
        {
            return null;
        }

        if (instance.Name == ActivityNames.MonitorOrchestration)
        {
            return Monitor(instance);
        }

        var request = instance.ReadInputAs<TrainingRequest>();
        var progress = instance.ReadCustomStatusAs<RunProgress>();
        if (instance.RuntimeStatus == OrchestrationRuntimeStatus.Running && progress?.Stage.StartsWith("tuning", StringComparison.Ordinal) == true
            && (await client.GetInstanceAsync(RunIds.Tuning(runId), getInputsAndOutputs: true, ct))?.ReadCustomStatusAs<RunProgress>() is { } tuning)
        {
            progress = tuning; // trials done and best so far, from the tuning sub-orchestration
        }

        var view = new RunView(
            runId,
            instance.RuntimeStatus.ToString(),
            progress?.Stage,
            progress?.Step,
            progress?.Steps,
            request?.Model,
            request?.Dataset,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            instance.CreatedAt,
            instance.LastUpdatedAt)
        {
            Done = progress?.Done,
            Total = progress?.Total,
        };
        return instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed when instance.ReadOutputAs<RunResult>() is { } result => view with
            {
                Status = result.Status,
                Task = result.Task,
                Version = result.Version,
                Champion = result.Champion,
                PrimaryMetric = result.PrimaryMetric,
                Metrics = result.Metrics,
                Criteria = result.Criteria,
                Gate = result.Gate,
                Selection = result.Selection,
                Tuning = result.Tuning,
                Importance = result.Importance,
                Features = result.Features,
                RefitRows = result.RefitRows,
                Ensemble = result.Ensemble,
                Reproduction = result.Reproduction,
                Data = result.Data,
                Message = result.Message,
                Anomalies = result.Anomalies,
            },
            OrchestrationRuntimeStatus.Failed => view with { Status = RunStatus.Failed, Message = instance.FailureDetails?.ErrorMessage },
            _ => view,
        };
    }
}
