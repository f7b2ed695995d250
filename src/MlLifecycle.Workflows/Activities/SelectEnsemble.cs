using System.Globalization;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.SelectEnsemble"/> activity.</summary>
public sealed class SelectEnsemble(ArtifactStore store, RunDataCache cache)
{
    /// <summary>Rows selection works on at most (a seeded sample of the rows every candidate predicted): enough to rank weights, bounded in time.</summary>
    public const int MaxRows = 10_000;

    /// <summary>
    /// Greedy ensemble selection over the candidates' stored out-of-fold predictions, on the rows every candidate
    /// predicted without training on them (every cross-validated row; the validation split when tuning trials are
    /// candidates). The ensemble is chosen only when its nested cross-validated score beats picking one candidate.
    /// </summary>
    public async Task<EnsembleOutcome> RunAsync(EnsembleInput input)
    {
        var data = await cache.GetAsync(input.Run);
        var predicted = new List<Dictionary<int, double[]>>();
        foreach (var candidate in input.Candidates)
        {
            var byRow = new Dictionary<int, double[]>();
            foreach (var blob in candidate.Blobs)
            {
                var part = OutOfFoldPredictions.FromBinary(await store.ReadAsync(ArtifactStore.Artifacts, blob));
                foreach (var (row, vector) in part.Rows.Zip(part.Vectors))
                {
                    byRow[row] = vector;
                }
            }

            predicted.Add(byRow);
        }

        var seed = data.Spec.EffectiveSeed;
        var rows = predicted.Skip(1).Aggregate(predicted[0].Keys.ToHashSet(), (common, p) => { common.IntersectWith(p.Keys); return common; })
            .Order().ToList();
        if (rows.Count > MaxRows)
        {
            var random = new Random(seed);
            rows = [.. rows.OrderBy(_ => random.Next()).Take(MaxRows).Order()];
        }

        if (input.Candidates.Count < 2 || rows.Count < EnsembleSelection.Groups * 2)
        {
            return new EnsembleOutcome(false, [], input.Metric, null, null, null, rows.Count, $"{input.Candidates.Count} candidates predicted {rows.Count} rows in common: too few to select an ensemble");
        }

        var matrices = predicted.Select(p => rows.Select(r => p[r]).ToArray()).ToList();
        var choice = EnsembleSelection.Select(matrices, EnsembleSelection.Scorer(data.Schema, [.. rows.Select(r => data.Labels[r])], input.Metric), seed);
        var sign = PrimaryMetric.HigherIsBetter(input.Metric) ? 1 : -1;
        double score = sign * choice.EnsembleScore, single = sign * choice.SingleScore;
        var members = input.Candidates.Select((c, i) => c with { Blobs = [], Weight = choice.Weights[i] }).Where(c => c.Weight > 0).ToList();
        var best = input.Candidates[choice.BestSingle].Name;
        var reason = members.Count == 1 ? $"greedy selection kept one candidate, {members[0].Name}"
            : string.Create(CultureInfo.InvariantCulture, $"{input.Metric} of the ensemble {score:G5} {(choice.Chosen ? "beats" : "does not beat")} {best}'s {single:G5} (cross-validated over {rows.Count} rows)");
        return new EnsembleOutcome(choice.Chosen, members, input.Metric, double.IsFinite(score) ? score : null, double.IsFinite(single) ? single : null, best, rows.Count, reason);
    }
}
