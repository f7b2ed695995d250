using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Training;

/// <summary>
/// One trainer with different options on the same seeded 70/15/15 splits (train on train + validation, score the
/// test split): the ranking metric and log-loss (classification) or R² and RMSE (regression), with the difference
/// from the first variant paired by split. A variant is <c>name=option:value,option:value</c>; <c>name=</c> is the
/// platform's default. Also the seconds a split takes (train and score).
/// </summary>
internal static class TrainerBench
{
    public static int Run(string csv, string label, int splits, string trainer, IReadOnlyList<string> variants)
    {
        using var stream = File.OpenRead(csv);
        var table = TableReader.ReadCsv(stream);
        var schema = SchemaInference.Infer(table, label);
        var (rows, labels) = FeatureRows.Cells(table, schema);
        string[] shown = schema.Task switch { MlTask.Regression => ["r2", "rmse"], MlTask.BinaryClassification => ["auc", "logLoss"], _ => ["accuracy", "macroF1", "logLoss"] };
        Console.WriteLine($"{Path.GetFileName(csv)}: {rows.Count} rows, {trainer}, {splits} seeded splits; mean ± sd, Δ paired by split");
        List<Dictionary<string, double>>? first = null;
        foreach (var variant in variants.DefaultIfEmpty("default="))
        {
            var (name, options) = (variant.Split('=')[0], variant.Split('=', 2).ElementAtOrDefault(1) ?? "");
            var hyperparameters = options.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(o => o.Split(':')[0], o => double.Parse(o.Split(':')[1], CultureInfo.InvariantCulture));
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            var scores = FeatureBench.Evaluations(table, rows.Count, labels, schema.IsClassification, splits, timeOrder: null)
                .Select(e => Metrics.For(schema, e.Test.Select(i => labels[i]).ToList(), TrainedModel
                    .Train(schema, e.Fit.Select(i => rows[i]).ToList(), e.Fit.Select(i => labels[i]).ToList(), e.Seed, trainer: trainer, threads: 1, hyperparameters: hyperparameters)
                    .Predict(e.Test.Select(i => rows[i]).ToList())))
                .ToList();
            first ??= scores;
            Console.WriteLine($"  {name,-16}" + string.Join("   ", shown.Select(k => string.Create(CultureInfo.InvariantCulture,
                $"{k} {scores.Average(s => s[k]):F4} ± {FeatureBench.Sd(scores.Select(s => s[k]).ToList()):F4} (Δ {scores.Select((s, i) => s[k] - first[i][k]).Average():+0.0000;-0.0000} ± {FeatureBench.Sd(scores.Select((s, i) => s[k] - first[i][k]).ToList()):F4})")))
                + $"   {stopwatch.Elapsed.TotalSeconds / splits:F2} s a split");
        }

        return 0;
    }
}
