using Microsoft.Extensions.Logging;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>
/// The scheduled drift check run by the timer in both hosts. For now it only lists the champions it would check:
/// the drift statistics arrive with the monitoring issue.
/// </summary>
public sealed class DriftCheck(ModelRegistry registry, ILogger<DriftCheck> logger)
{
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        var checkedModels = 0;
        foreach (var model in await registry.ListModelsAsync(ct))
        {
            if (await registry.ResolveAliasAsync(model, ModelRegistry.Champion, ct) is { } version)
            {
                logger.LogInformation("Drift check: {Model} champion v{Version} has no drift monitor configured yet", model, version);
                checkedModels++;
            }
        }

        return checkedModels;
    }
}
