using Microsoft.Extensions.Logging;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>
/// The scheduled check run by the timer in both hosts: evaluates running A/B tests (acting on their decisions as the
/// spec says). For now it only lists the champions whose drift it would check: the drift statistics arrive with the
/// monitoring issue.
/// </summary>
public sealed class DriftCheck(ModelRegistry registry, ChallengerExperiment experiments, ILogger<DriftCheck> logger)
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

            if (await experiments.EvaluateAsync(model, ct) is { } experiment)
            {
                logger.LogInformation("A/B test of {Model}: {Decision} (p {PValue:G3}, {Champion} vs {Challenger} outcomes)", model, experiment.Decision, experiment.PValue, experiment.Champion.Outcomes, experiment.Challenger.Outcomes);
            }
        }

        return checkedModels;
    }
}
