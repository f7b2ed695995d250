using System.Globalization;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.SelectEnsemble"/> activity.</summary>
public sealed class SelectEnsemble(ArtifactStore store, RunDataCache cache)
{
    /// <summary>Rows selection works on at most (a seeded sample of the rows every candidate predicted): enough to rank weights, bounded in time.</summary>
    public const int MaxRows = 10_000;

    /// <summary>Rows below which the nested comparison would be noise (about 10 a group).</summary>
    public const int MinRows = 50;

    /// <summary>Folds above which (leave-one-out) the nested comparison uses seeded groups instead.</summary>
    public const int MaxGroups = 20;

    /// <summary>
    /// Greedy ensemble selection over the candidates' stored out-of-fold predictions, on the rows every candidate
    /// predicted without training on them (every cross-validated row; the validation split when tuning trials are
    /// candidates). The ensemble is chosen only when its nested cross-validated score beats picking one candidate.
    /// </summary>
    public async Task<EnsembleOutcome> RunAsync(EnsembleInput input)
    {
        if (input.Candidates.Count < 2)
        {
            return new EnsembleOutcome(false, [], input.Metric, null, null, null, 0, $"{input.Candidates.Count} candidate: nothing to ensemble");
        }

        var run = input.Run;
        var data = await cache.GetAsync(run);
        var plan = await cache.GetPlanAsync(run);
        var predicted = await Task.WhenAll(input.Candidates.Select(async candidate =>
        {
            var parts = await Task.WhenAll(Enumerable.Range(0, candidate.Folds).Select(async f => OutOfFoldPredictions.FromBinary(await store.ReadAsync(ArtifactStore.Artifacts, run.OutOfFoldBlob(candidate.Name, f)))));
            return parts.SelectMany(p => p.Rows.Zip(p.Vectors)).ToDictionary(x => x.First, x => x.Second);
        }));

        var seed = data.Spec.EffectiveSeed;
        var rows = predicted.Skip(1).Aggregate(predicted[0].Keys.ToHashSet(), (common, p) => { common.IntersectWith(p.Keys); return common; })
            .Order().ToList();
        if (rows.Count > MaxRows)
        {
            var random = new Random(seed);
            rows = [.. rows.OrderBy(_ => random.Next()).Take(MaxRows).Order()];
        }

        if (rows.Count < MinRows)
        {
            return new EnsembleOutcome(false, [], input.Metric, null, null, null, rows.Count, $"{input.Candidates.Count} candidates predicted {rows.Count} rows in common: fewer than {MinRows}, too few to compare an ensemble with one model");
        }

        var matrices = predicted.Select(p => rows.Select(r => p[r]).ToArray()).ToList();
        var choice = EnsembleSelection.Select(matrices, EnsembleSelection.Scorer(data.Schema, [.. rows.Select(r => data.Labels[r])], input.Metric), Groups(plan, rows, seed));
        var sign = PrimaryMetric.HigherIsBetter(input.Metric) ? 1 : -1;
        double score = sign * choice.EnsembleScore, single = sign * choice.SingleScore;
        var members = input.Candidates.Select((c, i) => c with { Weight = choice.Weights[i] }).Where(c => c.Weight > 0).ToList();
        var best = input.Candidates[choice.BestSingle].Name;
        var reason = members.Count == 1 ? $"greedy selection kept one candidate, {members[0].Name}"
            : string.Create(CultureInfo.InvariantCulture, $"{input.Metric} of the ensemble {score:G5} {(choice.Chosen ? "beats" : "does not beat")} the best single candidate's {single:G5} (nested cross-validation over {rows.Count} rows)");
        return new EnsembleOutcome(choice.Chosen, members, input.Metric, double.IsFinite(score) ? score : null, double.IsFinite(single) ? single : null, best, rows.Count, reason);
    }

    /// <summary>
    /// The nested comparison's group of each row: the cross-validation fold it was held out in (so a <c>groupBy</c>
    /// group or a time block stays in one group), or seeded groups when the folds are one holdout or too many.
    /// </summary>
    private static int[] Groups(ValidationPlan plan, List<int> rows, int seed)
    {
        var fold = plan.Folds.SelectMany(f => f.Validation.Select(row => (row, f.Index))).GroupBy(x => x.row).ToDictionary(g => g.Key, g => g.Last().Index);
        var groups = rows.Select(r => fold.GetValueOrDefault(r)).ToArray();
        var distinct = groups.Distinct().Count();
        return distinct is >= 2 and <= MaxGroups ? groups : EnsembleSelection.RandomGroups(rows.Count, EnsembleSelection.Groups, seed);
    }
}
