using Microsoft.Extensions.Logging;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.PromoteModel"/> activity.</summary>
public sealed class PromoteModel(ModelRegistry registry, TimeProvider time, ILogger<PromoteModel> logger)
{
    /// <summary>
    /// Points <c>champion</c> at the version when it passed the gate and the champion is still the one the gate compared
    /// against (another run may have promoted in between); the previous champion is kept for rollback.
    /// </summary>
    public async Task<bool> RunAsync(PromoteInput input)
    {
        if (!input.GatePassed)
        {
            return false;
        }

        var now = time.GetUtcNow();
        var moved = await registry.TryMoveAliasAsync(input.Model, ModelRegistry.Champion, input.Version, input.ExpectedChampion, now, new Actor(Actor.Lifecycle.By, "passed the champion gate"));
        if (moved)
        {
            await registry.SetStageAsync(input.Model, input.Version, VersionStages.Approved, new Actor(Actor.Lifecycle.By, "promoted by the champion gate"), now);
        }
        else
        {
            logger.LogWarning("{Model} v{Version} passed the gate against v{Expected}, but the champion changed meanwhile; it stays a candidate", input.Model, input.Version, input.ExpectedChampion);
        }

        return moved;
    }
}
