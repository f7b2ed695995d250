using Microsoft.Azure.Functions.Worker;
using MlLifecycle.Api;

namespace MlLifecycle.Functions;

/// <summary>The scheduled drift check (NCRONTAB from the <c>MlLifecycle:DriftSchedule</c> setting).</summary>
public sealed class DriftFunctions(DriftCheck check)
{
    [Function("DriftCheck")]
    public Task RunDriftCheck([TimerTrigger("%MlLifecycle:DriftSchedule%")] TimerInfo timer, CancellationToken ct) => check.RunAsync(ct);
}
