using MathNet.Numerics.Statistics;
using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;

/// <summary>
/// Test metrics with and without feature engineering, over several seeded 70/15/15 splits (train on train +
/// validation, score the test split) or, when a variant has lags, the same expanding time-series folds for every
/// variant; for LightGBM and the linear trainer. Variants: <c>raw</c> (dates as a day
/// number, no missing indicators, no selection), <c>default</c> (the platform's defaults) and one per spec file.
/// </summary>
internal static class FeatureBench
{
    public static int Run(string csv, string label, int seeds, IReadOnlyList<string> specFiles)
    {
        using var stream = File.OpenRead(csv);
        var table = TableReader.ReadCsv(stream);
        var raw = new ProblemSpec { Label = label, Features = new FeaturesSpec { MissingIndicators = false, Selection = new SelectionSpec { NearConstant = 1, Correlation = 1 } } };
        List<(string Name, ColumnTable Table, ProblemSpec Spec)> variants = [("raw", DatesAsDayNumbers(table, label), raw), ("default", table, new ProblemSpec { Label = label })];
        variants.AddRange(specFiles.Select(f => (Path.GetFileNameWithoutExtension(f), table, SpecReader.Parse(File.ReadAllText(f)) with { Label = label })));
        // When a variant has lags, every variant is scored on the same time-series folds (later rows only), else on seeded splits.
        var timeOrder = variants.Select(v => v.Spec.Validation?.OrderBy).FirstOrDefault(o => o is not null);
        Console.WriteLine($"{Path.GetFileName(csv)}: {table.RowCount} rows, label {label}, " +
            (timeOrder is null ? $"{seeds} seeded 70/15/15 splits (train on train + validation)" : $"{seeds} expanding time-series folds by '{timeOrder}'") + "; mean ± sd of the test metric");
        foreach (var trainer in new[] { Trainers.LightGbm, Trainers.Linear })
        {
            List<Dictionary<string, double>>? baseline = null;
            foreach (var (name, data, spec) in variants)
            {
                var schema = SchemaInference.Inspect(data, spec).Schema;
                var (prepared, declared) = HistoryFields.Declare(Cleaner.Clean(data, schema, spec.EffectiveCleaning).Apply(data), schema, spec);
                var (rows, labels) = FeatureRows.Cells(prepared, declared);
                List<Dictionary<string, double>> scores = [];
                var (before, after) = (0, 0);
                foreach (var (seed, fit, test) in Evaluations(prepared, rows.Count, labels, declared.IsClassification, seeds, timeOrder))
                {
                    var model = TrainedModel.Train(declared, fit.Select(i => rows[i]).ToList(), fit.Select(i => labels[i]).ToList(), seed, spec, trainer);
                    scores.Add(Metrics.For(declared, test.Select(i => labels[i]).ToList(), model.Predict(test.Select(i => rows[i]).ToList())));
                    (before, after) = (model.Details.Selection!.Decisions.Count, model.Details.Selection.Kept.Count);
                }

                var shown = scores[0].Keys.Where(k => k is "accuracy" or "balancedAccuracy" or "macroF1" or "f1" or "auc" or "rmse" or "r2");
                Console.WriteLine($"  {trainer,-9} {name,-15} inputs {before,3} → {after,3} after selection   " +
                    string.Join("   ", shown.Select(k => string.Create(CultureInfo.InvariantCulture, $"{k} {scores.Average(s => s[k]):F4} ± {Sd(scores.Select(s => s[k]).ToList()):F4}"))));
                if (baseline is not null)
                {
                    // Paired by split: the same training and test rows with and without feature engineering.
                    Console.WriteLine($"  {"",-9} {"  Δ vs raw",-15} {"",34}" + string.Join("   ", shown.Select(k =>
                    {
                        var deltas = scores.Select((s, i) => s[k] - baseline[i][k]).ToList();
                        return string.Create(CultureInfo.InvariantCulture, $"{k} {deltas.Average():+0.0000;-0.0000} ± {Sd(deltas):F4}");
                    })));
                }

                baseline ??= scores;
            }
        }

        return 0;
    }

    /// <summary>(seed, training rows, test rows) of each evaluation.</summary>
    internal static IEnumerable<(int Seed, int[] Fit, int[] Test)> Evaluations(ColumnTable table, int rows, List<string> labels, bool stratify, int count, string? timeOrder)
    {
        if (timeOrder is not null)
        {
            return Folds.TimeSeries(ValidationPlan.OrderValues(table, timeOrder), count, sliding: false).Select(f => (1, f.Train, f.Validation));
        }

        return Enumerable.Range(1, count).Select(seed => DataSplit.Holdout(rows, seed, strata: stratify ? labels : null))
            .Select((split, i) => (i + 1, split.Train.Concat(split.Validation).ToArray(), split.Test));
    }

    /// <summary>Without feature engineering a date is just a number: days since 0001-01-01.</summary>
    private static ColumnTable DatesAsDayNumbers(ColumnTable columns, string label)
    {
        var dates = SchemaInference.Infer(columns, label).Columns.Where(c => c.Kind == ColumnKind.DateTime).Select(c => columns.IndexOf(c.Name)).ToHashSet();
        var table = columns.ToRows();
        return ColumnTable.FromRows(table.Columns, table.Rows.Select(r => r.Select((cell, c) => dates.Contains(c) && cell is not null && SchemaInference.TryParseDate(cell, out var d)
            ? (d.Ticks / TimeSpan.TicksPerDay).ToString(CultureInfo.InvariantCulture)
            : cell).ToArray()).ToList());
    }

    internal static double Sd(List<double> values) => values.Count < 2 ? 0 : values.StandardDeviation();
}
