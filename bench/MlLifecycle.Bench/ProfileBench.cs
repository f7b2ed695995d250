using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;

/// <summary>
/// Where a run's time went, from its orchestration history in the CLI's task hub (the Azurite of
/// <c>MLLIFECYCLE_AZURITE_*</c>, reused): each activity from scheduled to completed, grouped by name, and the time
/// between stages (an activity's completion to the orchestrator scheduling the next one). Times are the history's
/// event timestamps, so an activity's duration includes its wait in the work-item queue.
/// </summary>
internal static class ProfileBench
{
    public static async Task<int> RunAsync(string runId)
    {
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.FromEnvironment(), NullLogger.Instance);
        var events = await ReadHistoryAsync(azurite.ConnectionString, runId);

        var started = events.Single(e => e.Type == "ExecutionStarted").At;
        var ended = events.Where(e => e.Type == "ExecutionCompleted").Select(e => e.At).DefaultIfEmpty(events.Max(e => e.At)).First();
        var done = events.Where(e => e.Type is "TaskCompleted" or "TaskFailed").ToDictionary(e => e.ScheduledId, e => e.At);
        var tasks = events.Where(e => e.Type == "TaskScheduled" && done.ContainsKey(e.EventId))
            .Select(e => (Name: e.Name ?? "?", Start: e.At, End: done[e.EventId])).OrderBy(t => t.Start).ToList();
        Console.WriteLine($"run {runId}: {(ended - started).TotalSeconds:F2} s from ExecutionStarted to ExecutionCompleted, {tasks.Count} activities");
        Console.WriteLine("| activity | count | first scheduled (s) | last completed (s) | span (s) | Σ scheduled→completed (s) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var group in tasks.GroupBy(t => t.Name).OrderBy(g => g.Min(t => t.Start)))
        {
            var first = (group.Min(t => t.Start) - started).TotalSeconds;
            var last = (group.Max(t => t.End) - started).TotalSeconds;
            Console.WriteLine($"| {group.Key} | {group.Count()} | {first:F2} | {last:F2} | {last - first:F2} | {group.Sum(t => (t.End - t.Start).TotalSeconds):F2} |");
        }

        // Time with no activity in flight: the orchestrator's turns (replay, scheduling) and the queues between them.
        var idle = 0.0;
        var busyUntil = started;
        foreach (var task in tasks)
        {
            idle += Math.Max(0, (task.Start - busyUntil).TotalSeconds);
            busyUntil = task.End > busyUntil ? task.End : busyUntil;
        }

        idle += Math.Max(0, (ended - busyUntil).TotalSeconds);
        Console.WriteLine($"no activity in flight: {idle:F2} s of {(ended - started).TotalSeconds:F2} s");
        return 0;
    }

    /// <summary>A run's orchestration history events from the task hub's history table, as the Azure Storage backend writes them.</summary>
    public static async Task<List<HistoryEvent>> ReadHistoryAsync(string connectionString, string runId)
    {
        var history = new TableServiceClient(connectionString).GetTableClient("mllifecycleHistory");
        List<HistoryEvent> events = [];
        await foreach (var e in history.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {runId}")))
        {
            events.Add(new(e.GetDateTime("_Timestamp") ?? e.GetDateTime("Timestamp") ?? default, e.GetString("EventType") ?? "", e.GetString("Name"),
                e.GetInt32("EventId") ?? -1, e.GetInt32("TaskScheduledId") ?? -1));
        }

        return events;
    }

    /// <summary>One history event: when, its type, the activity name, its id, and the id of the task it completes.</summary>
    public sealed record HistoryEvent(DateTime At, string Type, string? Name, int EventId, int ScheduledId);
}
