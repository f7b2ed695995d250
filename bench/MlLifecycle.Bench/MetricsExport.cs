using System.Globalization;
using System.Text.Json;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Training;

/// <summary>
/// Trains LightGBM on a seeded 70/15/15 split of each dataset, predicts the test split and writes the predictions
/// (CSV) with the metrics our code computes on them (JSON), for <c>compare_sklearn.py</c> to recompute with scikit-learn.
/// </summary>
internal static class MetricsExport
{
    public static int Run(string output, IReadOnlyList<(string Csv, string Label)> datasets)
    {
        Directory.CreateDirectory(output);
        foreach (var (csv, label) in datasets)
        {
            using var stream = File.OpenRead(csv);
            var table = TableReader.ReadCsv(stream);
            var schema = SchemaInference.Infer(table, label);
            var (rows, labels) = FeatureRows.Cells(table, schema);
            var split = DataSplit.Holdout(schema.Rows, 42, strata: schema.IsClassification ? labels : null);
            var model = TrainedModel.Train(schema, split.Train.Select(i => rows[i]).ToList(), split.Train.Select(i => labels[i]).ToList(), 42);
            var predictions = model.Predict(split.Test.Select(i => rows[i]).ToList());
            var actual = split.Test.Select(i => labels[i]).ToList();
            var metrics = Metrics.For(schema, actual, predictions);
            var name = Path.GetFileNameWithoutExtension(csv);
            using (var writer = new StreamWriter(Path.Combine(output, $"{name}.predictions.csv")))
            {
                var classes = schema.Classes ?? [];
                writer.WriteLine(string.Join(',', new[] { "actual", "predicted" }.Concat(classes.Select(c => $"p:{c}"))));
                for (var i = 0; i < actual.Count; i++)
                {
                    var predicted = schema.IsClassification ? predictions[i].Label : predictions[i].Score!.Value.ToString("R", CultureInfo.InvariantCulture);
                    writer.WriteLine(string.Join(',', new[] { actual[i], predicted! }.Concat(classes.Select(c => predictions[i].Probabilities![c].ToString("R", CultureInfo.InvariantCulture)))));
                }
            }

            File.WriteAllText(Path.Combine(output, $"{name}.metrics.json"), JsonSerializer.Serialize(new { task = schema.Task.ToString(), positive = schema.PositiveClass, classes = schema.Classes, metrics }, LifecycleJson.Options));
            Console.WriteLine($"{name}: {schema.Task}, {actual.Count} test rows → {output}");
        }

        return 0;
    }
}
