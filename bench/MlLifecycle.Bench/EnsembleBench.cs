using System.Diagnostics;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using Core = MlLifecycle.Core;

/// <summary>
/// What an ensemble adds to in-process scoring, the serving hot path: one row per call (as a predict request of one
/// row), for each trainer alone and for ensembles of the first 2, 3 and 4, as µs a row and the ratio to LightGBM alone
/// measured in the same run. Median of the repeats.
/// </summary>
internal static class EnsembleBench
{
    public static int Run(string csv, string label, int repeats)
    {
        using var file = File.OpenRead(csv);
        var data = TableReader.ReadCsv(file);
        var schema = SchemaInference.Infer(data, label);
        var (rows, labels) = FeatureRows.Cells(data, schema);
        var models = Trainers.All.Select(t => TrainedModel.Train(schema, rows, labels, seed: 1, trainer: t)).ToList();
        List<(string Name, TrainedModel Model)> cases =
        [
            .. models.Select(m => (m.Trainer, m)),
            .. new[] { 2, 3, 4 }.Select(k => ($"ensemble of {k}", TrainedModel.Ensemble([.. models.Take(k).Select(m => (m, 1.0 / k))]))),
        ];
        var sample = rows.Take(500).ToList();
        Console.WriteLine($"{csv}: {schema.Task}, one row per call over {sample.Count} rows, median of {repeats}");
        Console.WriteLine("| model | µs a row | × LightGbm |");
        Console.WriteLine("|---|---|---|");
        foreach (var (_, model) in cases)
        {
            foreach (var row in sample)
            {
                model.PredictOne(row); // warm-up: scorers built, code jitted
            }
        }

        // Round-robin, so that whatever else the machine does falls on every case alike.
        var times = cases.Select(_ => new List<double>()).ToList();
        for (var r = 0; r < repeats; r++)
        {
            for (var c = 0; c < cases.Count; c++)
            {
                var stopwatch = Stopwatch.StartNew();
                foreach (var row in sample)
                {
                    cases[c].Model.PredictOne(row);
                }

                times[c].Add(stopwatch.Elapsed.TotalMicroseconds / sample.Count);
            }
        }

        var medians = times.Select(t => t.Order().ElementAt(t.Count / 2)).ToList();
        foreach (var ((name, _), median) in cases.Zip(medians))
        {
            Console.WriteLine($"| {name} | {median:F1} | {median / medians[0]:F2} |");
        }

        SelectionCost(schema, labels);
        return 0;
    }

    /// <summary>
    /// Wall time of the selection itself (SelectEnsemble's work after reading blobs) on its worst case: 10,000 rows
    /// (its cap), 9 candidates (4 trainers and 5 tuning trials) with noisy copies of the data's labels as vectors.
    /// </summary>
    private static void SelectionCost(DatasetSchema schema, IReadOnlyList<string> labels)
    {
        var random = new Random(1);
        var actual = Enumerable.Range(0, 10_000).Select(i => labels[i % labels.Count]).ToList();
        var classes = schema.Classes!;
        var candidates = Enumerable.Range(0, 9).Select(_ => actual.Select(a =>
        {
            var vector = classes.Select(c => (c == a ? 0.6 : 0.4 / (classes.Count - 1)) + random.NextDouble() * 0.3).ToArray();
            var total = vector.Sum();
            return vector.Select(v => v / total).ToArray();
        }).ToArray()).ToList();
        var stopwatch = Stopwatch.StartNew();
        var choice = Core.Evaluation.EnsembleSelection.Select(candidates, Core.Evaluation.EnsembleSelection.Scorer(schema, actual, "accuracy"), Core.Evaluation.EnsembleSelection.RandomGroups(actual.Count, 5, 1));
        Console.WriteLine($"selection over 9 candidates × 10,000 rows × {classes.Count} classes: {stopwatch.Elapsed.TotalSeconds:F1} s ({choice.Weights.Count(w => w > 0)} members)");
    }
}
