using DurableTask.Core;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using CoreStatus = DurableTask.Core.OrchestrationStatus;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace MlLifecycle.Local.Infrastructure;

/// <summary>
/// A <see cref="DurableTaskClient"/> straight over the Durable Task Framework's <see cref="IOrchestrationServiceClient"/>
/// (the Azure Storage backend), so the local host's routes and the CLI use the same client API as the Functions app.
/// It covers what the platform uses: start (deduplicated by instance id), read, raise, terminate, suspend, resume,
/// wait and purge of one instance.
/// </summary>
internal sealed class OrchestrationServiceClient(IOrchestrationServiceClient service, DataConverter converter) : DurableTaskClient("local")
{
    private static readonly CoreStatus[] AnyStatus = Enum.GetValues<CoreStatus>();

    public override DurableEntityClient Entities => throw new NotSupportedException("Durable entities are not used by this platform.");

    /// <summary>Starts an orchestration; an instance id that already exists, in any state, throws <see cref="OrchestrationAlreadyExistsException"/>.</summary>
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var instance = new OrchestrationInstance { InstanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N"), ExecutionId = Guid.NewGuid().ToString("N") };
        var started = new ExecutionStartedEvent(-1, converter.Serialize(input))
        {
            Name = orchestratorName.Name,
            Version = options?.Version ?? string.Empty,
            OrchestrationInstance = instance,
            ScheduledStartTime = options?.StartAt?.UtcDateTime,
            Tags = options?.Tags?.ToDictionary(t => t.Key, t => t.Value) ?? [],
        };
        // One trace per run: the framework starts it when the orchestration first runs (its orchestration, activity,
        // timer and sub-orchestration spans), if anything listens to its "DurableTask.Core" source.
        started.Tags[OrchestrationTags.CreateTraceForNewOrchestration] = "true";
        await service.CreateTaskOrchestrationAsync(new TaskMessage { OrchestrationInstance = instance, Event = started }, AnyStatus);
        return instance.InstanceId;
    }

    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                var states = await service.GetOrchestrationStateAsync(instanceId, allExecutions: false);
                // The Azure Storage backend answers an unknown id with a list holding null.
                return states?.FirstOrDefault() is { OrchestrationInstance: not null } state ? ToMetadata(state, getInputsAndOutputs) : null;
            }
            catch (Exception ex) when (attempt < 3 && ex.InnerException is Azure.RequestFailedException { ErrorCode: "BlobNotFound" })
            {
                // The status row named a large input or output blob that the instance replaced (continue-as-new, a new
                // episode) between the backend's two reads: read the row again.
            }
        }
    }

    public override async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        var state = await service.WaitForOrchestrationAsync(instanceId, null, Timeout.InfiniteTimeSpan, cancellation);
        return ToMetadata(state, getInputsAndOutputs);
    }

    public override async Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        while (true)
        {
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation) ?? throw new InvalidOperationException($"Orchestration '{instanceId}' does not exist.");
            if (metadata.RuntimeStatus != OrchestrationRuntimeStatus.Pending)
            {
                return metadata;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation);
        }
    }

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) =>
        Send(instanceId, new EventRaisedEvent(-1, converter.Serialize(eventPayload)) { Name = eventName });

    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default) =>
        service.ForceTerminateTaskOrchestrationAsync(instanceId, converter.Serialize(options?.Output));

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        Send(instanceId, new ExecutionSuspendedEvent(-1, reason));

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        Send(instanceId, new ExecutionResumedEvent(-1, reason));

    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        var result = await ((IOrchestrationServicePurgeClient)service).PurgeInstanceStateAsync(instanceId);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        throw new NotSupportedException("Listing orchestrations is not used by this platform.");

    public override Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default) =>
        throw new NotSupportedException("Purging by filter is not used by this platform.");

    public override ValueTask DisposeAsync() => default;

    private Task Send(string instanceId, HistoryEvent @event) =>
        service.SendTaskOrchestrationMessageAsync(new TaskMessage { OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId }, Event = @event });

    private OrchestrationMetadata ToMetadata(OrchestrationState state, bool getInputsAndOutputs) =>
        new(state.Name, state.OrchestrationInstance.InstanceId)
        {
            DataConverter = getInputsAndOutputs ? converter : null,
            RuntimeStatus = (OrchestrationRuntimeStatus)(int)state.OrchestrationStatus,
            CreatedAt = state.CreatedTime,
            LastUpdatedAt = state.LastUpdatedTime,
            SerializedInput = state.Input,
            SerializedOutput = state.Output,
            SerializedCustomStatus = state.Status,
            FailureDetails = ToFailure(state.FailureDetails),
        };

    private static TaskFailureDetails? ToFailure(FailureDetails? details) =>
        details is null ? null : new TaskFailureDetails(details.ErrorType, details.ErrorMessage, details.StackTrace, ToFailure(details.InnerFailure), null);
}
