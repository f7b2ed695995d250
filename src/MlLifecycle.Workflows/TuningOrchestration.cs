using Microsoft.DurableTask;
using MlLifecycle.Core.Tuning;

namespace MlLifecycle.Workflows;

/// <summary>Where a tuning search stands: its input, the trials finished so far and when it started.</summary>
public sealed record TuningState(TuningInput Input, IReadOnlyList<TrialRecord> History, DateTime StartedAt);

/// <summary>
/// Hyperparameter tuning, a sub-orchestration of the training run: the strategy (a pure function of seed and
/// history) proposes a wave, the wave fans out as <c>RunTrial</c> activities (at most <c>maxConcurrency</c> at once),
/// results feed back, until the strategy is done or the budget (trials, total resource, minutes) is spent. Every
/// <see cref="TrialsPerExecution"/> trials it continues as new with the finished trials as its input, so its history
/// stays bounded however long the search; a host that dies mid-tuning resumes without re-running finished trials.
/// </summary>
public sealed class TuningOrchestration : TaskOrchestrator<TuningState, TuningResult?>
{
    /// <summary>Trials per execution before continuing as new (each trial adds two history events).</summary>
    public const int TrialsPerExecution = 100;

    /// <summary>The best trials offered to ensemble selection.</summary>
    public const int Leaders = 5;

    public override async Task<TuningResult?> RunAsync(TaskOrchestrationContext context, TuningState state)
    {
        var (input, tuning) = (state.Input, state.Input.Tuning);
        var space = SearchSpace.For(input.Trainer, tuning.Space);
        var tuner = Tuners.Create(tuning.Strategy, space, input.Seed, tuning);
        var history = state.History.ToList();
        while (history.Count - state.History.Count < TrialsPerExecution)
        {
            var used = history.Sum(h => h.Trial.Resource);
            var stop = history.Count >= tuning.MaxTrials ? "trial budget spent"
                : tuning.MaxTotalResource > 0 && used >= tuning.MaxTotalResource ? "resource budget spent"
                : (context.CurrentUtcDateTime - state.StartedAt).TotalMinutes >= tuning.MaxMinutes ? "time budget spent"
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
                return new TuningResult(tuning.Strategy, history.Count, used, best is null ? null : space.Options(best.Trial with { Resource = tuning.MaxResource }), best?.Score, (stop ?? "search complete") + (best is null && history.Count > 0 ? "; no trial could be trained, defaults kept" : ""))
                {
                    Leaders = [.. history.Where(h => h.Error is null && h.Score > double.MinValue).OrderByDescending(h => h.Score).ThenBy(h => h.Trial.Id).Take(Leaders).Select(h => new TunedTrial(h.Trial.Id, space.Options(h.Trial), h.Score))],
                };
            }

            static bool Scored(TrialRecord t) => t.Error is null && t.Score > double.MinValue; // a failed trial ranks last, unshown
            var (done, bestSoFar) = (history.Count, history.Where(Scored).Select(h => (double?)h.Score).Max());
            void TrialsDone() => context.SetCustomStatus(new RunProgress($"tuning {input.Trainer} ({tuning.Strategy}): {done}/{tuning.MaxTrials} trials{(bestSoFar is { } b ? $", best {b:F4}" : "")}", TrainingOrchestration.TuningStep, TrainingOrchestration.Steps, done, tuning.MaxTrials));
            TrialsDone();
            var inputs = trials.Select(t => new TrialInput(input.Run, input.Trainer, input.Metric, t, space.Options(t))).ToList();
            // Only what the search needs travels on: a trial's metrics are in the trials table.
            history.AddRange((await TrainingOrchestration.FanOutAsync<TrialInput, TrialRecord>(context, ActivityNames.RunTrial, inputs, tuning.MaxConcurrency, r =>
            {
                (done, bestSoFar) = (done + 1, Scored(r) ? Math.Max(bestSoFar ?? double.MinValue, r.Score) : bestSoFar);
                TrialsDone();
            })).Select(r => r with { Metrics = [] }));
        }

        context.ContinueAsNew(state with { History = history });
        return null;
    }
}
