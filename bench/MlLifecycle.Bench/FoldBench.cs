using System.Diagnostics;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Bench;

/// <summary>
/// Where one cross-validation fold's seconds go on the column table, in process: a fifth of the rows held out, the
/// trainer fitted on the rest (one thread, as folds run side by side) and scored on the held-out fifth, each step
/// timed, twice (the first pays the JIT).
/// </summary>
public static class FoldBench
{
    public static void Run(string file, string label, string trainer, TextWriter log)
    {
        var stopwatch = Stopwatch.StartNew();
        ColumnTable table;
        using (var stream = File.OpenRead(file))
        {
            table = TableReader.ReadCsv(stream);
        }

        var schema = SchemaInference.Infer(table, label);
        var (rows, labels) = FeatureRows.FromTable(table, schema);
        log.WriteLine($"{Path.GetFileName(file)}: {rows.Count:N0} rows, {schema.Features.Count} features, read and inferred in {stopwatch.Elapsed.TotalSeconds:F2} s");
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new Random(0).Shuffle(order);
        var validation = order[..(rows.Count / 5)].Order().ToArray();
        var train = order[(rows.Count / 5)..].Order().ToArray();
        for (var round = 1; round <= 2; round++)
        {
            stopwatch.Restart();
            var trainLabels = train.Select(i => labels[i]).ToList();
            var model = TrainedModel.Train(schema, rows.Subset(train), trainLabels, seed: 0, trainer: trainer, threads: 1);
            var trained = stopwatch.Elapsed.TotalSeconds;
            var predictions = model.Predict(rows.Subset(validation));
            var predicted = stopwatch.Elapsed.TotalSeconds;
            var metrics = Metrics.For(model.Schema, validation.Select(i => labels[i]).ToList(), predictions);
            var scored = stopwatch.Elapsed.TotalSeconds;
            log.WriteLine($"round {round}: train {train.Length:N0} rows {trained:F2} s, predict {validation.Length:N0} rows {predicted - trained:F2} s, metrics {scored - predicted:F2} s ({string.Join(", ", metrics.Take(3).Select(m => $"{m.Key} {m.Value:F4}"))})");
        }
    }
}
