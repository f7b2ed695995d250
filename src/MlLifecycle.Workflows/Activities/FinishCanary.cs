using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.FinishCanary"/> activity.</summary>
public sealed class FinishCanary(ModelRegistry registry, TimeProvider time)
{
    /// <summary>
    /// Ends the canary: promotes the challenger to champion, or leaves the champion as it is, then clears the traffic
    /// split, removes the <c>challenger</c> alias (if it still points at the canary) and releases the retraining lock.
    /// Each step is idempotent, so a repeat after a crash does the same.
    /// </summary>
    public async Task<bool> RunAsync(FinishInput input)
    {
        var actor = new Actor(MonitorOrchestration.Actor, input.Reason);
        if (input.Challenger is { } challenger)
        {
            if (input.Promote)
            {
                await registry.TryMoveAliasAsync(input.Model, ModelRegistry.Champion, challenger, input.Champion, time.GetUtcNow(), actor);
            }

            await registry.SetTrafficAsync(input.Model, null, actor, time.GetUtcNow());
            await registry.TryRemoveAliasAsync(input.Model, MonitorOrchestration.Challenger, challenger, actor, time.GetUtcNow());
        }

        await registry.ReleaseRetrainAsync(input.Model, input.RetrainId);
        return input.Promote;
    }
}
