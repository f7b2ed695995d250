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

        var moved = await registry.TryMoveAliasAsync(input.Model, ModelRegistry.Champion, input.Version, input.ExpectedChampion, time.GetUtcNow());
        if (!moved)
        {
            logger.LogWarning("{Model} v{Version} passed the gate against v{Expected}, but the champion changed meanwhile; it stays a candidate", input.Model, input.Version, input.ExpectedChampion);
        }

        return moved;
    }
}
