using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>
/// The scheduled check run by the timer in both hosts: for every model with a champion, starts the monitor of the
/// latest finished window of the prediction log (<see cref="MonitorOrchestration"/>, one instance per model and
/// window, so a window is checked once however often the timer fires), and evaluates running A/B tests.
/// </summary>
public sealed class DriftCheck(ModelRegistry registry, ChallengerExperiment experiments, IOptions<LifecycleOptions> options, TimeProvider time, ILogger<DriftCheck> logger)
{
    /// <summary>Returns how many monitors this call started (0 when every window was already checked).</summary>
    public async Task<int> RunAsync(DurableTaskClient client, CancellationToken ct = default)
    {
        var (from, to) = LatestWindow(time.GetUtcNow(), options.Value.DriftWindowHours);
        var started = 0;
        foreach (var model in await registry.ListModelsAsync(ct))
        {
            if (await registry.ResolveAliasAsync(model, ModelRegistry.Champion, ct) is not null
                && await StartOnce.StartAsync(client, ActivityNames.MonitorOrchestration, MonitorOrchestration.InstanceId(model, from), new MonitorRequest(model, from, to), ct))
            {
                logger.LogInformation("Drift check of {Model} over {From:u} – {To:u} started", model, from, to);
                started++;
            }

            if (await experiments.EvaluateAsync(model, ct) is { } experiment)
            {
                logger.LogInformation("A/B test of {Model}: {Decision} (p {PValue:G3}, {Champion} vs {Challenger} outcomes)", model, experiment.Decision, experiment.PValue, experiment.Champion.Outcomes, experiment.Challenger.Outcomes);
            }
        }

        return started;
    }

    /// <summary>The last window of <paramref name="hours"/> hours that has ended by <paramref name="now"/>, aligned to UTC midnight of 1970-01-01.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) LatestWindow(DateTimeOffset now, int hours)
    {
        var length = TimeSpan.FromHours(hours);
        var end = new DateTimeOffset(now.UtcTicks - (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % length.Ticks, TimeSpan.Zero);
        return (end - length, end);
    }
}
