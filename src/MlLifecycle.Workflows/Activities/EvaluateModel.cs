using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Monitoring;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;
using static MlLifecycle.Workflows.ModelScoring;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.EvaluateModel"/> activity.</summary>
public sealed class EvaluateModel(ArtifactStore store, RunDataCache cache, ChampionScorer championScorer)
{
    /// <summary>
    /// Scores the model once on the untouched test split: metrics, confusion matrix and per-class metrics
    /// (<c>evaluation.json</c>), success criteria, slices, and the champion gate (the champion scored on the same rows).
    /// </summary>
    public async Task<EvaluationOutcome> RunAsync(RunContext run)
    {
        var (data, schema, spec, rows, labels) = await cache.GetAsync(run);
        var test = (await cache.GetPlanAsync(run)).Split.Test;
        var model = TrainedModel.Load((await store.ReadAsync(ArtifactStore.Artifacts, run.ModelBlob)).ToStream(), schema, "candidate");
        var metric = spec.PrimaryMetric!;
        var predictions = model.Predict(rows.Subset(test));
        var metrics = Metrics.For(schema, Pick(labels, test), predictions);
        var criteria = PrimaryMetric.Check(spec.SuccessCriteria, metrics);
        var (championVersion, championMetrics, unscored) = await championScorer.ScoreAsync(run.Model, schema, spec, data, test);
        var gate = Gate.Decide(metric, metrics.TryGetValue(metric, out var value) ? value : null, championMetrics?.GetValueOrDefault(metric), championVersion, criteria, spec.EffectiveGate, unscored);
        var slices = (spec.EffectiveValidation.SliceBy ?? []).Where(c => data.IndexOf(c) >= 0).Select(column =>
        {
            var cells = data.Find(column)!;
            var values = test.Select(cells.Text).ToList();
            var numeric = schema.Columns.FirstOrDefault(c => c.Name == cells.Name)?.Kind == ColumnKind.Numeric;
            return Slices.Compute(column, values, numeric, metric, subset => Score(model, rows, labels, subset.Select(k => test[k]).ToArray()));
        }).ToList();
        var importance = PermutationImportanceOnTest(model, schema, rows, labels, test, metric, spec.EffectiveSeed);
        var detail = schema.IsClassification ? Metrics.Detail(Pick(labels, test), predictions.Select(p => p.Label).ToList(), schema.Classes!) : null;
        // The drift reference: every row, or a million spread through a larger table (its profile keeps a thousand points).
        var reference = rows.Count > ModelBaseline.MaxRows ? rows.Subset(FeatureSource.Spread(rows.Count, ModelBaseline.MaxRows)) : rows;
        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.BaselineBlob, ModelBaseline.Build(schema, reference, predictions, metrics, metric));

        var curves = schema.Task == MlTask.BinaryClassification
            ? Curves.Of(Pick(labels, test).Select(l => l == schema.PositiveClass).ToList(), predictions.Select(p => p.Probabilities?.GetValueOrDefault(schema.PositiveClass!) ?? 0).ToList())
            : null;
        await store.WriteJsonAsync(ArtifactStore.Artifacts, run.EvaluationBlob, new { testRows = test.Length, metrics, detail, curves, criteria, gate, championMetrics, slices, permutationImportance = importance });
        return new EvaluationOutcome(metrics, criteria, gate, slices.ToDictionary(s => s.Column, s => s.Gap), importance.Take(10).ToList());
    }

    /// <summary>Permutation importance of each raw feature on (a seeded sample of) the test rows, by the primary metric.</summary>
    private static List<FeatureImportance> PermutationImportanceOnTest(TrainedModel model, DatasetSchema schema, FeatureSource rows, IReadOnlyList<string> labels, int[] test, string metric, int seed)
    {
        var sample = test.Length <= PermutationImportance.MaxRows ? test : test.OrderBy(i => unchecked(i * 2654435761u ^ (uint)seed)).Take(PermutationImportance.MaxRows).Order().ToArray();
        var actual = Pick(labels, sample);
        return PermutationImportance.Compute(
            schema.Features.Select(f => f.Name).ToList(),
            rows.Subset(sample),
            subset => Metrics.For(schema, actual, model.Predict(subset)).GetValueOrDefault(metric, double.NaN),
            PrimaryMetric.HigherIsBetter(metric),
            seed,
            only: MostInformative(schema, rows, labels, PermutationImportance.MaxFeatures));
    }

    /// <summary>
    /// Indexes of the <paramref name="max"/> features with the most mutual information with the label (on at most
    /// <see cref="TrainedModel.SelectionRows"/> rows spread through the table); null when there are no more than that.
    /// </summary>
    private static int[]? MostInformative(DatasetSchema schema, FeatureSource rows, IReadOnlyList<string> labels, int max)
    {
        if (schema.Features.Count <= max)
        {
            return null;
        }

        if (rows.Count > TrainedModel.SelectionRows)
        {
            var sample = FeatureSource.Spread(rows.Count, TrainedModel.SelectionRows);
            (rows, labels) = (rows.Subset(sample), Pick(labels, sample));
        }

        var all = Enumerable.Range(0, rows.Count);
        var candidates = schema.Features.Select((f, i) => f.Kind == ColumnKind.Numeric
            ? new SelectionCandidate(f.Name, [.. all.Select(r => (float)rows.Number(i, r))], null)
            : new SelectionCandidate(f.Name, null, [.. all.Select(r => rows.Text(i, r))])).ToList();
        var information = FeatureSelection.MutualInformations(candidates, labels, !schema.IsClassification);
        return [.. Enumerable.Range(0, candidates.Count).OrderByDescending(i => information[i]).ThenBy(i => i).Take(max).Order()];
    }
}
