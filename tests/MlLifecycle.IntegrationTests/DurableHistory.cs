using Azure.Data.Tables;
using MlLifecycle.Local.Infrastructure;

namespace MlLifecycle.IntegrationTests;

/// <summary>An orchestration's Durable history as the Azure Storage backend keeps it (the task hub's History table).</summary>
public static class DurableHistory
{
    /// <summary>The instance's history rows in the order they were written (every execution kept, if it continued as new).</summary>
    public static async Task<IReadOnlyList<TableEntity>> EventsAsync(string storage, string instanceId)
    {
        var history = new TableServiceClient(storage).GetTableClient($"{DurableEngineOptions.TaskHub}History");
        List<TableEntity> events = [];
        await foreach (var e in history.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {instanceId}")))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>The activities the instance scheduled, in the order it scheduled them (a retry is scheduled again).</summary>
    public static async Task<IReadOnlyList<string>> ScheduledAsync(string storage, string instanceId) =>
        [.. (await EventsAsync(storage, instanceId)).Where(e => e.GetString("EventType") == "TaskScheduled").Select(e => e.GetString("Name"))];
}
