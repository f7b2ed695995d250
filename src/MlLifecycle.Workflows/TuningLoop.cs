using Microsoft.DurableTask;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Tuning;

namespace MlLifecycle.Workflows;

/// <summary>
/// Hyperparameter tuning, run inside the training orchestration: the strategy (a pure function of seed and history)
/// proposes a wave, the wave fans out as <c>RunTrial</c> activities (at most <c>maxConcurrency</c> at once), results
/// feed back, until the strategy is done or the budget (trials, total resource, minutes) is spent. Completed trials
/// live in the Durable history, so a host that dies mid-tuning resumes without re-running them.
/// </summary>
/// <remarks>
/// Not a sub-orchestration: the preview gRPC sidecar hands DTFx the sub-orchestration's tags as a protobuf
/// <c>MapField</c>, which the Azure Storage backend cannot deserialize (the run hangs). Each trial adds two history
/// events, so a 100-trial search replays ~200 small events.
/// </remarks>
public static class TuningLoop
{
    public static async Task<TuningResult> RunAsync(TaskOrchestrationContext context, TuningInput input)
    {
        var tuning = input.Tuning;
        var space = SearchSpace.For(input.Trainer, tuning.Space);
        var tuner = Tuners.Create(tuning.Strategy, space, input.Seed, tuning);
        List<TrialRecord> history = [];
        var started = context.CurrentUtcDateTime;
        // Every wave runs at least one trial, so MaxTrials waves always suffice.
        for (var wave = 0; wave <= tuning.MaxTrials; wave++)
        {
            var used = history.Sum(h => h.Trial.Resource);
            var stop = history.Count >= tuning.MaxTrials ? "trial budget spent"
                : tuning.MaxTotalResource > 0 && used >= tuning.MaxTotalResource ? "resource budget spent"
                : (context.CurrentUtcDateTime - started).TotalMinutes >= tuning.MaxMinutes ? "time budget spent"
                : null;
            var proposals = stop is null ? tuner.NextWave(history.Select(h => new TrialOutcome(h.Trial, h.Score)).ToList(), tuning.MaxConcurrency) : [];
            var trials = proposals.Take(tuning.MaxTrials - history.Count)
                .TakeWhile((t, i) => tuning.MaxTotalResource <= 0 || used + proposals.Take(i + 1).Sum(p => p.Resource) <= tuning.MaxTotalResource)
                .ToList();
            if (trials.Count == 0)
            {
                // A trial that could not be trained is never the best: if none trained, the defaults are refit.
                var best = history.Where(h => h.Error is null).OrderByDescending(h => h.Score).ThenBy(h => h.Trial.Id).FirstOrDefault();
                // The best configuration is refit with the full resource, whatever rung it was scored on.
                return new TuningResult(tuning.Strategy, history.Count, used, best is null ? null : space.Options(best.Trial with { Resource = tuning.MaxResource }), best?.Score, (stop ?? "search complete") + (best is null && history.Count > 0 ? "; no trial could be trained, defaults kept" : ""));
            }

            var bestSoFar = history.Count == 0 ? "" : $", best {history.Max(h => h.Score):F4}";
            context.SetCustomStatus(new RunProgress($"tuning {input.Trainer} ({tuning.Strategy}): {history.Count}/{tuning.MaxTrials} trials{bestSoFar}", 4, TrainingOrchestration.Steps));
            var inputs = trials.Select(t => new TrialInput(input.Run, input.Trainer, input.Metric, t, space.Options(t))).ToList();
            history.AddRange(await TrainingOrchestration.FanOutAsync<TrialInput, TrialRecord>(context, ActivityNames.RunTrial, inputs, tuning.MaxConcurrency));
        }

        throw new InvalidOperationException("Tuning did not stop within its trial budget.");
    }
}
