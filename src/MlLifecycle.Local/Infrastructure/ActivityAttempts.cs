using Azure;
using Azure.Data.Tables;
using DurableTask.Core;
using DurableTask.Core.History;

namespace MlLifecycle.Local.Infrastructure;

/// <summary>
/// The attempt log of activity deliveries (table <c>activityattempts</c>): a row per scheduled activity (partition: the
/// orchestration instance; row: its execution and the task's event id) counting deliveries that have not ended. A
/// delivery that ends — a result, an exception, or a hand-back on a clean stop — deletes its row, so what the row counts
/// is the deliveries whose worker died holding them. DTFx would deliver such a message forever; after
/// <c>maxAttempts</c> of them the next delivery is answered as a failure instead (<see cref="Failure"/>), its row
/// kept as the attempt log.
/// </summary>
internal sealed class ActivityAttempts(TableClient table, int maxAttempts, TimeProvider time)
{
    public const string TableName = "activityattempts";

    private static string Host => $"{Environment.MachineName}-{Environment.ProcessId}";

    public Task CreateIfNotExistsAsync() => table.CreateIfNotExistsAsync();

    /// <summary>
    /// Records one more delivery of the work item. Null when it may run; past the cutoff (more than
    /// <c>maxAttempts</c> deliveries died), the failure to answer it with instead.
    /// </summary>
    public async Task<TaskMessage?> RecordAsync(TaskActivityWorkItem item) => Failure(item, await CountAsync(item));

    private async Task<TableEntity> CountAsync(TaskActivityWorkItem item)
    {
        var (partition, row) = Key(item);
        var now = time.GetUtcNow();
        var entity = new TableEntity(partition, row)
        {
            ["Activity"] = (item.TaskMessage.Event as TaskScheduledEvent)?.Name,
            ["Attempts"] = 1,
            ["Hosts"] = Host,
            ["FirstAt"] = now,
            ["LastAt"] = now,
        };
        while (true)
        {
            try
            {
                await table.AddEntityAsync(entity);
                return entity;
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
            }

            if (await table.GetEntityIfExistsAsync<TableEntity>(partition, row) is not { HasValue: true, Value: { } existing })
            {
                continue;
            }

            existing["Attempts"] = (existing.GetInt32("Attempts") ?? 0) + 1;
            existing["Hosts"] = $"{existing.GetString("Hosts")}, {Host}";
            existing["LastAt"] = now;
            try
            {
                await table.UpdateEntityAsync(existing, existing.ETag, TableUpdateMode.Replace);
                return existing;
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
            }
        }
    }

    /// <summary>Forgets a delivery that ended.</summary>
    public async Task ClearAsync(TaskActivityWorkItem item)
    {
        var (partition, row) = Key(item);
        try
        {
            await table.DeleteEntityAsync(partition, row);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    /// <summary>Past the cutoff, the answer to the delivery: the activity failed, with its attempt log, and is not retried.</summary>
    private TaskMessage? Failure(TaskActivityWorkItem item, TableEntity log)
    {
        if (log.GetInt32("Attempts") <= maxAttempts)
        {
            return null;
        }

        var name = log.GetString("Activity");
        var message = $"Activity {name} was delivered {log.GetInt32("Attempts") - 1} times without an answer, more than the {maxAttempts} allowed: its worker's process ended "
            + $"while running it (a crash or a kill; hosts: {log.GetString("Hosts")}; first at {log.GetDateTimeOffset("FirstAt"):u}), so it is failed instead of delivered again. "
            + $"Attempt log: table {TableName}, partition {log.PartitionKey}, row {log.RowKey}.";
        var failure = new FailureDetails("MlLifecycle.PoisonActivity", message, stackTrace: null, innerFailure: null, isNonRetriable: true);
        return new TaskMessage
        {
            Event = new TaskFailedEvent(-1, ((TaskScheduledEvent)item.TaskMessage.Event).EventId, message, details: null, failure),
            OrchestrationInstance = item.TaskMessage.OrchestrationInstance,
        };
    }

    private static (string Partition, string Row) Key(TaskActivityWorkItem item) =>
        (Safe(item.TaskMessage.OrchestrationInstance.InstanceId), Safe($"{item.TaskMessage.OrchestrationInstance.ExecutionId}-{item.TaskMessage.Event.EventId}"));

    /// <summary>Table keys may not hold <c>/ \ # ?</c> or control characters.</summary>
    private static string Safe(string key) => string.Concat(key.Select(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c) ? '_' : c));
}
