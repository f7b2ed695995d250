using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core;

namespace MlLifecycle.Api;

/// <summary>What the training and batch starters share: the model of a blob trigger's upload, and starting an orchestration once per id.</summary>
internal static class StartOnce
{
    /// <summary>
    /// The model of an upload <c>{model}/{file}</c> (the blob triggers' path) whose file <paramref name="starts"/> a job;
    /// null, logged, for any other name.
    /// </summary>
    public static string? ModelOf(string blobName, Func<string, bool> starts, ILogger logger)
    {
        var parts = blobName.Split('/');
        if (parts.Length != 2 || !starts(parts[1]))
        {
            return null;
        }

        if (!ModelName.IsValid(parts[0]))
        {
            logger.LogWarning("Ignoring upload {Blob}: folder '{Model}' is not a valid model name ({Rule})", blobName, parts[0], ModelName.Describe);
            return null;
        }

        return parts[0];
    }

    /// <summary>Schedules an orchestration unless one with this id exists; true when this call started it.</summary>
    public static async Task<bool> StartAsync(DurableTaskClient client, string orchestration, string instanceId, object input, CancellationToken ct)
    {
        if (await client.GetInstanceAsync(instanceId, ct) is not null)
        {
            return false;
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(orchestration, input, new StartOrchestrationOptions(instanceId), ct);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Another host may have scheduled the same id between our check and our start.
            if (await client.GetInstanceAsync(instanceId, ct) is null)
            {
                throw;
            }

            return false;
        }
    }
}
