using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using MlLifecycle.Api;
using MlLifecycle.Workflows;

namespace MlLifecycle.Functions;

/// <summary>The scheduled drift check (NCRONTAB from the <c>MlLifecycle:DriftSchedule</c> setting) and the monitor orchestration it starts.</summary>
public sealed class DriftFunctions(DriftCheck check)
{
    [Function("DriftCheck")]
    public Task RunDriftCheck([TimerTrigger("%MlLifecycle:DriftSchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken ct) =>
        check.RunAsync(client, ct);

    [Function(ActivityNames.MonitorOrchestration)]
    public static Task<MonitorResult> RunMonitor([OrchestrationTrigger] TaskOrchestrationContext context, MonitorRequest request) =>
        new MonitorOrchestration().RunAsync(context, request);
}
