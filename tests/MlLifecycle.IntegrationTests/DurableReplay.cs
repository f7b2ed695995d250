using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Command;
using DurableTask.Core.History;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Workflows;
using Newtonsoft.Json.Linq;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// Replays an orchestration over its recorded Durable history, one episode at a time, on the Durable Task Framework's
/// own executor: for each episode the orchestrator is run from scratch over the events before it plus the messages
/// the episode received, and must decide exactly what the history says it decided then: activities and
/// sub-orchestrations by name, id and instance (the Azure Storage backend keeps no inputs of either in history), timers
/// by id and time, events by name, target and data, and the result it completed with, byte for byte. A decision that depends on anything but the
/// history (the clock, a random number, a GUID) shows up as a mismatch or a non-determinism error.
/// </summary>
public static class DurableReplay
{
    private static readonly HashSet<EventType> Decisions =
        [EventType.TaskScheduled, EventType.SubOrchestrationInstanceCreated, EventType.TimerCreated, EventType.EventSent, EventType.ExecutionCompleted, EventType.ContinueAsNew];

    /// <summary>Replays <paramref name="instanceId"/> and its sub-orchestrations; returns each replayed instance's orchestration name and episodes.</summary>
    public static async Task<IReadOnlyList<(string InstanceId, string Name, int Episodes)>> ReplayTreeAsync(string storage, string instanceId, WorkflowTasks tasks)
    {
        List<(string, string, int)> replayed = [];
        Queue<string> pending = new([instanceId]);
        while (pending.TryDequeue(out var id))
        {
            var history = await HistoryAsync(storage, id);
            var (name, episodes) = Replay(history, tasks);
            replayed.Add((id, name, episodes));
            foreach (var created in Events(history).OfType<SubOrchestrationInstanceCreatedEvent>())
            {
                pending.Enqueue(created.InstanceId);
            }
        }

        return replayed;
    }

    /// <summary>The latest execution's history, as the backend returns it (with large payloads fetched from blobs).</summary>
    public static async Task<JArray> HistoryAsync(string storage, string instanceId)
    {
        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(storage),
            TaskHubName = DurableEngineOptions.TaskHub,
        });
        return JArray.Parse(await service.GetOrchestrationHistoryAsync(instanceId, null));
    }

    /// <summary>Replays every episode of one recorded history; returns the orchestration's name and the number of episodes.</summary>
    public static (string Name, int Episodes) Replay(JArray history, WorkflowTasks tasks)
    {
        var recorded = Events(history);
        var name = recorded.OfType<ExecutionStartedEvent>().Single().Name;
        var starts = recorded.Select((e, i) => (e, i)).Where(x => x.e.EventType == EventType.OrchestratorStarted).Select(x => x.i).ToList();
        Assert.NotEmpty(starts);
        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), NullLoggerFactory.Instance);
        for (var k = 0; k < starts.Count; k++)
        {
            // Fresh event objects per episode: the runtime state marks the ones it plays.
            var events = Events(history);
            var episode = events.Skip(starts[k]).Take((k + 1 < starts.Count ? starts[k + 1] : events.Count) - starts[k]).ToList();
            var state = new OrchestrationRuntimeState([.. events.Take(starts[k])]);
            foreach (var received in episode.Where(e => !Decisions.Contains(e.EventType) && e.EventType != EventType.OrchestratorCompleted))
            {
                state.AddEvent(received);
            }

            var orchestration = shims.CreateOrchestration(name, tasks.Orchestrators[name]());
            var result = new TaskOrchestrationExecutor(state, orchestration, BehaviorOnContinueAsNew.Carryover, ErrorPropagationMode.UseFailureDetails).Execute();

            var expected = string.Join("\n", episode.Where(e => Decisions.Contains(e.EventType)).Select(Describe).Order(StringComparer.Ordinal));
            var actual = string.Join("\n", result.Actions.Select(Describe).Order(StringComparer.Ordinal));
            Assert.True(expected == actual, $"{name}, episode {k + 1} of {starts.Count}: the history decided\n{expected}\nbut the code decides\n{actual}");
        }

        return (name, starts.Count);
    }

    /// <summary>The history as the framework's event objects (the backend returns them as JSON without type names).</summary>
    private static List<HistoryEvent> Events(JArray history) =>
        [.. history.Select(token =>
        {
            var type = (EventType)token.Value<int>(nameof(HistoryEvent.EventType));
            var typeName = $"{typeof(HistoryEvent).Namespace}.{type}{(type.ToString().EndsWith("Event", StringComparison.Ordinal) ? "" : "Event")}";
            return (HistoryEvent)token.ToObject(typeof(HistoryEvent).Assembly.GetType(typeName, throwOnError: true)!)!;
        })];

    private static string Describe(HistoryEvent decision) => decision switch
    {
        TaskScheduledEvent e => $"activity #{e.EventId} {e.Name}",
        SubOrchestrationInstanceCreatedEvent e => $"sub-orchestration #{e.EventId} {e.Name} {e.InstanceId}",
        TimerCreatedEvent e => $"timer #{e.EventId} {e.FireAt:O}",
        EventSentEvent e => $"event #{e.EventId} {e.Name} {e.InstanceId} {e.Input}",
        ContinueAsNewEvent e => $"continue-as-new {e.Result}",
        ExecutionCompletedEvent e => $"complete {e.OrchestrationStatus} {e.Result}",
        _ => $"{decision.EventType}",
    };

    private static string Describe(OrchestratorAction action) => action switch
    {
        ScheduleTaskOrchestratorAction a => $"activity #{a.Id} {a.Name}",
        CreateSubOrchestrationAction a => $"sub-orchestration #{a.Id} {a.Name} {a.InstanceId}",
        CreateTimerOrchestratorAction a => $"timer #{a.Id} {a.FireAt:O}",
        SendEventOrchestratorAction a => $"event #{a.Id} {a.EventName} {a.Instance?.InstanceId} {a.EventData}",
        OrchestrationCompleteOrchestratorAction { OrchestrationStatus: OrchestrationStatus.ContinuedAsNew } a => $"continue-as-new {a.Result}",
        OrchestrationCompleteOrchestratorAction a => $"complete {a.OrchestrationStatus} {a.Result}",
        _ => $"{action.OrchestratorActionType}",
    };
}
