using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.StartCanary"/> activity.</summary>
public sealed class StartCanary(ModelRegistry registry, TimeProvider time)
{
    /// <summary>
    /// Points <c>challenger</c> at the retrained version and splits the traffic; returns when the split was set (the
    /// canary's start), or null when someone else's split is set (a user's A/B test is never overwritten).
    /// </summary>
    public async Task<DateTimeOffset?> RunAsync(CanaryInput input)
    {
        var actor = new Actor(MonitorOrchestration.Actor, $"canary of v{input.Challenger} after {input.RetrainId}");
        if (await registry.GetTrafficAsync(input.Model) is { } existing && existing.SetBy != MonitorOrchestration.Actor)
        {
            return null;
        }

        var now = time.GetUtcNow();
        await registry.SetAliasAsync(input.Model, MonitorOrchestration.Challenger, input.Challenger, now, actor);
        await registry.SetTrafficAsync(input.Model, new TrafficSplit(new Dictionary<string, int> { [ModelRegistry.Champion] = 100 - input.Weight, [MonitorOrchestration.Challenger] = input.Weight }), actor, now);
        return (await registry.GetTrafficAsync(input.Model))?.SetAt ?? now;
    }
}
