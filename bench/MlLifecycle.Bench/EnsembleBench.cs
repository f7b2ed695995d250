using System.Diagnostics;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

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
        var data = CsvLoader.Read(file);
        var schema = SchemaInference.Infer(data, label);
        var (rows, labels) = FeatureRows.FromTable(data, schema);
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
        double? baseline = null;
        foreach (var (name, model) in cases)
        {
            foreach (var row in sample)
            {
                model.PredictOne(row); // warm-up: scorers built, code jitted
            }

            var times = Enumerable.Range(0, repeats).Select(_ =>
            {
                var stopwatch = Stopwatch.StartNew();
                foreach (var row in sample)
                {
                    model.PredictOne(row);
                }

                return stopwatch.Elapsed.TotalMicroseconds / sample.Count;
            }).Order().ToList();
            var median = times[times.Count / 2];
            baseline ??= median;
            Console.WriteLine($"| {name} | {median:F1} | {median / baseline:F2} |");
        }

        return 0;
    }
}
