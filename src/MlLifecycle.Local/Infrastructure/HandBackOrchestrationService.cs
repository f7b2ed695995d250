using System.Collections.Concurrent;
using DurableTask.Core;
using DurableTask.Core.History;

namespace MlLifecycle.Local.Infrastructure;

/// <summary>
/// The Azure Storage orchestration service with a way to leave: <see cref="HandBackAsync"/> stops handing out work and
/// abandons the activities this process is running, so their messages become visible again (after Azure Storage's
/// 2-second first back-off) and another host runs them at once instead of waiting for the lock to expire. An
/// activity that finishes after it was handed back is dropped: its other delivery records the result. Every delivery
/// is counted in the <see cref="ActivityAttempts"/> log, and one whose worker died too often is failed, not run.
/// </summary>
internal sealed class HandBackOrchestrationService(IOrchestrationService inner, ActivityAttempts attempts) : IOrchestrationService
{
    private readonly ConcurrentDictionary<string, TaskActivityWorkItem> _activities = new();
    private volatile bool _leaving;

    /// <summary>Activities this process runs now.</summary>
    public int RunningActivities => _activities.Count;

    /// <summary>Stops taking work and abandons every activity in progress; returns how many were handed back.</summary>
    public async Task<int> HandBackAsync()
    {
        _leaving = true;
        var handed = 0;
        foreach (var id in _activities.Keys)
        {
            if (_activities.TryRemove(id, out var item))
            {
                await ForgetAsync(item);
                await inner.AbandonTaskActivityWorkItemAsync(item);
                handed++;
            }
        }

        return handed;
    }

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        if (_leaving)
        {
            return null!;
        }

        var item = await inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);
        if (item is null)
        {
            return item!;
        }

        if (await attempts.RecordAsync(item) is { } poison)
        {
            // Its workers died every time: answer it as a failure (the row stays as the attempt log).
            await inner.CompleteTaskActivityWorkItemAsync(item, poison);
            return null!;
        }

        _activities[item.Id] = item;
        if (_leaving && _activities.TryRemove(item.Id, out _))
        {
            await ForgetAsync(item);
            await inner.AbandonTaskActivityWorkItemAsync(item);
            return null!;
        }

        return item;
    }

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem)
    {
        if (_activities.ContainsKey(workItem.Id))
        {
            return inner.RenewTaskActivityWorkItemLockAsync(workItem);
        }

        workItem.LockedUntilUtc = DateTime.UtcNow; // handed back: stop renewing
        return Task.FromResult(workItem);
    }

    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        if (_activities.TryRemove(workItem.Id, out _))
        {
            await ForgetAsync(workItem);
            await inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
        }
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        if (_activities.TryRemove(workItem.Id, out _))
        {
            await ForgetAsync(workItem);
            await inner.AbandonTaskActivityWorkItemAsync(workItem);
        }
    }

    /// <summary>
    /// A delivery that ends is not a crash: its row goes first (a process that dies right after leaves no row behind; one
    /// that dies before the answer is stored was past the activity's body anyway). A failed delete only leaves a row.
    /// </summary>
    private async Task ForgetAsync(TaskActivityWorkItem item)
    {
        try
        {
            await attempts.ClearAsync(item);
        }
        catch (Azure.RequestFailedException)
        {
        }
    }

    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        _leaving ? Task.FromResult<TaskOrchestrationWorkItem>(null!) : inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);

    public Task StartAsync() => inner.StartAsync();

    public Task StopAsync() => inner.StopAsync();

    public Task StopAsync(bool isForced) => inner.StopAsync(isForced);

    public Task CreateAsync() => inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => Task.WhenAll(inner.CreateIfNotExistsAsync(), attempts.CreateIfNotExistsAsync());

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) => inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState) =>
        inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);
}
