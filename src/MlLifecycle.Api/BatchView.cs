using System.Text.Json.Serialization;
using Microsoft.DurableTask.Client;
using MlLifecycle.Core.Data;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>Chunks and rows of a batch job scored so far.</summary>
public sealed record BatchJobProgress(int ChunksDone, int Chunks, long RowsScored, long Rows);

/// <summary>What <c>GET /api/batch/{jobId}</c> shows of a batch scoring job.</summary>
/// <param name="Status"><c>Pending</c>, <c>Running</c>, <c>Succeeded</c> or <c>Failed</c> (with <paramref name="Message"/>).</param>
/// <param name="Version">The model version scored with, once the job has pinned it.</param>
/// <param name="Output">The predictions (<c>predictions/{model}/{jobId}.csv</c>), once written.</param>
public sealed record BatchView(
    string JobId,
    string Status,
    string? Stage,
    string Model,
    int? Version,
    string? Alias,
    string Input,
    BatchJobProgress Progress,
    string? Output,
    string? Message,
    IReadOnlyList<Anomaly>? Anomalies,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt)
{
    [JsonIgnore]
    public bool IsFinished => Status is RunStatus.Succeeded or RunStatus.Failed or "Terminated";

    /// <summary>The job, or null when there is no batch job with this id.</summary>
    public static async Task<BatchView?> GetAsync(DurableTaskClient client, string jobId, CancellationToken ct = default)
    {
        var instance = await client.GetInstanceAsync(jobId, getInputsAndOutputs: true, ct);
        if (instance is null || instance.Name != ActivityNames.BatchScoringOrchestration || instance.ReadInputAs<BatchRequest>() is not { } request)
        {
            return null;
        }

        var progress = instance.ReadCustomStatusAs<BatchProgress>();
        var result = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<BatchResult>() : null;
        var (status, message) = instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed when result is not null => (result.Status, result.Message),
            OrchestrationRuntimeStatus.Failed => (RunStatus.Failed, instance.FailureDetails?.ErrorMessage),
            _ => (instance.RuntimeStatus.ToString(), null),
        };
        return new BatchView(
            jobId,
            status,
            progress?.Stage,
            request.Model,
            result?.Version ?? progress?.Version ?? request.Version,
            request.Alias,
            request.Input,
            new BatchJobProgress(progress?.ChunksDone ?? 0, progress?.Chunks ?? 0, progress?.RowsScored ?? 0, progress?.Rows ?? 0),
            result?.Output,
            message,
            result?.Anomalies,
            instance.CreatedAt,
            instance.LastUpdatedAt);
    }
}
