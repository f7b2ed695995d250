using System.Globalization;
using MathNet.Numerics.Statistics;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Data;

public sealed record OutlierCounts(int Iqr, int ZScore, int Mad);

/// <summary>Quality of one column.</summary>
public sealed record ColumnQuality(
    string Name,
    ColumnKind Kind,
    int Missing,
    double MissingFraction,
    int Distinct,
    NumericStats? Stats,
    OutlierCounts? Outliers,
    IReadOnlyDictionary<string, int>? TopValues,
    string? Ignored);

/// <summary>A feature that predicts the label almost perfectly on its own: a likely leak of the answer.</summary>
/// <param name="Score">Share of rows its values alone classify right (purity), or |Pearson r| for regression.</param>
public sealed record LeakageSuspect(string Column, string Measure, double Score);

/// <summary>The data-quality report of a run (<c>quality.json</c>).</summary>
public sealed record QualityReport(
    int Rows,
    int Columns,
    int RowsWithoutLabel,
    int DuplicateRows,
    int RowsDroppedForMissing,
    int RowsAfterCleaning,
    IReadOnlyDictionary<string, int>? ClassCounts,
    double? ImbalanceRatio,
    IReadOnlyList<ColumnQuality> ColumnStats,
    IReadOnlyList<string> ConstantColumns,
    IReadOnlyList<string> IdLikeColumns,
    IReadOnlyList<LeakageSuspect> LeakageSuspects,
    IReadOnlyList<Anomaly> Anomalies)
{
    /// <summary>A feature whose purity or |r| reaches this is a leakage suspect.</summary>
    public const double LeakageThreshold = 0.99;

    /// <summary>Majority/minority class ratio from which the data counts as imbalanced.</summary>
    public const double ImbalancedRatio = 1.5;

    private const int TopValueCount = 10;

    /// <summary>Profiles the rows that have a label (before cleaning) against the inferred schema, a column per core.</summary>
    public static QualityReport Build(ColumnTable data, DatasetSchema schema, IReadOnlyList<Anomaly> inspectionAnomalies, CleaningResult cleaning)
    {
        var label = data.Find(schema.Label.Name)!;
        var rows = SchemaInference.Labelled(label);
        var count = rows?.Length ?? data.RowCount;
        var columns = new ColumnQuality[schema.Columns.Count];
        var deciles = new double[]?[schema.Columns.Count];
        Parallel.For(0, columns.Length, i => (columns[i], deciles[i]) = Profile(schema.Columns[i], data.Find(schema.Columns[i].Name)!, rows, count));
        var classes = schema.IsClassification ? Codes(label, rows) : [];
        Dictionary<string, int>? classCounts = schema.IsClassification
            ? schema.Classes!.ToDictionary(c => c, _ => 0, StringComparer.Ordinal)
            : null;
        foreach (var row in Census.Rows(rows, data.RowCount).Where(_ => classCounts is not null))
        {
            classCounts![label.Text(row)!]++;
        }

        double? imbalance = classCounts is null ? null : (double)classCounts.Values.Max() / Math.Max(1, classCounts.Values.Min());
        var features = schema.Columns.Select((c, i) => (Column: c, Deciles: deciles[i])).Where(c => c.Column.Ignored is null).ToList();
        var suspects = new LeakageSuspect?[features.Count];
        Parallel.For(0, features.Count, i => suspects[i] = Leakage(features[i].Column, data.Find(features[i].Column.Name)!, rows, label, classes, schema, features[i].Deciles));
        var leakage = suspects.OfType<LeakageSuspect>().ToList();

        List<Anomaly> anomalies = [.. inspectionAnomalies];
        if (cleaning.DuplicatesRemoved > 0)
        {
            anomalies.Add(Anomaly.Warning(AnomalyCodes.DuplicateRows, null, $"{cleaning.DuplicatesRemoved} exact duplicate rows were removed.", cleaning.DuplicatesRemoved));
        }

        if (imbalance >= ImbalancedRatio)
        {
            anomalies.Add(Anomaly.Warning(AnomalyCodes.ClassImbalance, schema.Label.Name, $"Classes are imbalanced (majority/minority = {imbalance.Value.ToString("F2", CultureInfo.InvariantCulture)})."));
        }

        anomalies.AddRange(leakage.Select(l => Anomaly.Warning(AnomalyCodes.LeakageSuspect, l.Column, $"Column '{l.Column}' alone predicts the label almost perfectly ({l.Measure} {l.Score.ToString("F3", CultureInfo.InvariantCulture)}): check it is known at prediction time.")));
        return new QualityReport(
            data.RowCount,
            data.Columns.Count,
            data.RowCount - count,
            cleaning.DuplicatesRemoved,
            cleaning.MissingRowsRemoved,
            cleaning.Keep.Length,
            classCounts,
            imbalance,
            columns,
            schema.Columns.Where(c => c.Ignored == "constant").Select(c => c.Name).ToList(),
            schema.Columns.Where(c => c.Ignored?.StartsWith("ID-like", StringComparison.Ordinal) == true).Select(c => c.Name).ToList(),
            leakage,
            anomalies);
    }

    /// <summary>A column's quality, and the edges of its deciles when it is numeric (read off the same sorted values).</summary>
    private static (ColumnQuality Quality, double[]? Deciles) Profile(ColumnSchema column, Column cells, int[]? rows, int count)
    {
        var missing = Census.Rows(rows, cells.Length).Count(cells.IsMissing);
        NumericStats? stats = null;
        OutlierCounts? outliers = null;
        Dictionary<string, int>? top = null;
        double[]? deciles = null;
        if (column.Kind == ColumnKind.Numeric)
        {
            var buffer = GC.AllocateUninitializedArray<double>(count);
            var n = 0;
            foreach (var row in Census.Rows(rows, cells.Length))
            {
                if (cells.Number(row) is var x && double.IsFinite(x))
                {
                    buffer[n++] = x;
                }
            }

            var sorted = buffer.AsSpan(0, n);
            sorted.Sort();
            stats = NumericStats.OfSorted(sorted);
            outliers = stats is null ? null : new OutlierCounts(stats.CountOutliers(sorted, OutlierMethod.Iqr), stats.CountOutliers(sorted, OutlierMethod.ZScore), stats.CountOutliers(sorted, OutlierMethod.Mad));
            deciles = n == 0 ? [] : [.. Enumerable.Range(1, 9).Select(i => NumericStats.Quantile(buffer.AsSpan(0, n), i / 10.0)).Distinct()];
        }
        else
        {
            top = Census.Of(cells, rows, count).Texts().OrderByDescending(t => t.Count).ThenBy(t => t.Text, StringComparer.Ordinal)
                .Take(TopValueCount).ToDictionary(t => t.Text, t => t.Count, StringComparer.Ordinal);
        }

        return (new ColumnQuality(column.Name, column.Kind, missing, count == 0 ? 0 : (double)missing / count, column.Distinct, stats, outliers, top, column.Ignored), deciles);
    }

    /// <param name="classes">The labels as <see cref="Codes"/> (classification), one per counted row.</param>
    private static LeakageSuspect? Leakage(ColumnSchema feature, Column cells, int[]? rows, Column label, int[] classes, DatasetSchema schema, double[]? deciles)
    {
        if (!schema.IsClassification)
        {
            if (feature.Kind != ColumnKind.Numeric)
            {
                return null;
            }

            var pairs = Census.Rows(rows, cells.Length).Select(r => (X: cells.Number(r), Y: label.Number(r))).Where(p => !double.IsNaN(p.X)).ToList();
            if (pairs.Count < 10)
            {
                return null;
            }

            var r = Math.Abs(Correlation.Pearson(pairs.Select(p => p.X), pairs.Select(p => p.Y)));
            return r >= LeakageThreshold ? new LeakageSuspect(feature.Name, "|pearson r|", r) : null;
        }

        // Purity: the share of rows whose class is the majority class of their feature value (numbers in decile bins).
        // Compared with the label's own majority share, so a dominant class alone raises no suspicion. Counted in
        // arrays, one pass: a million rows take well under a second per feature.
        var keys = feature.Kind == ColumnKind.Numeric ? Bins(cells, rows, deciles!) : Codes(cells, rows);
        var present = keys.Count(k => k >= 0);
        if (present < 10 || (feature.Kind != ColumnKind.Numeric && feature.Distinct > present / 5))
        {
            return null;
        }

        var classCount = classes.Max() + 1;
        var counts = new int[keys.Max() + 1][];
        for (var i = 0; i < keys.Length; i++)
        {
            if (keys[i] >= 0)
            {
                (counts[keys[i]] ??= new int[classCount])[classes[i]]++;
            }
        }

        var purity = counts.OfType<int[]>().Sum(c => c.Max()) / (double)present;
        var baseline = classes.CountBy(c => c).Max(c => c.Value) / (double)classes.Length;
        return purity >= LeakageThreshold && baseline < LeakageThreshold ? new LeakageSuspect(feature.Name, "purity", purity) : null;
    }

    /// <summary>Each counted cell's decile bin (0–9) by the column's decile edges, or -1 when missing or not a number.</summary>
    private static int[] Bins(Column cells, int[]? rows, double[] edges)
    {
        var bins = new int[rows?.Length ?? cells.Length];
        var i = 0;
        foreach (var row in Census.Rows(rows, cells.Length))
        {
            var value = cells.Number(row);
            var bin = -1;
            if (double.IsFinite(value))
            {
                for (bin = 0; bin < edges.Length && value > edges[bin]; bin++)
                {
                }
            }

            bins[i++] = bin;
        }

        return bins;
    }

    /// <summary>Each counted cell's value as a small number (its dictionary code, or in order of first appearance), -1 for missing.</summary>
    private static int[] Codes(Column cells, int[]? rows)
    {
        if (cells is CodedColumn coded)
        {
            return [.. Census.Rows(rows, cells.Length).Select(coded.Code)];
        }

        Dictionary<string, int> codes = new(StringComparer.Ordinal);
        return [.. Census.Rows(rows, cells.Length).Select(r => cells.Text(r) is not { } c ? -1 : codes.TryGetValue(c, out var code) ? code : codes[c] = codes.Count)];
    }
}

/// <summary>What row-level cleaning keeps and removes.</summary>
/// <param name="Keep">The rows kept (ascending): they have a label, and are neither a repeat of an earlier row nor missing features the spec drops rows for.</param>
public sealed record CleaningResult(int[] Keep, int DuplicatesRemoved, int MissingRowsRemoved)
{
    /// <summary>The kept rows as a new table.</summary>
    public ColumnTable Apply(ColumnTable data) => data.Take(Keep);
}

/// <summary>Row-level cleaning before the split: rows without label, exact duplicates, rows with missing features.</summary>
public static class Cleaner
{
    public static CleaningResult Clean(ColumnTable data, DatasetSchema schema, CleaningSpec cleaning)
    {
        var labelled = SchemaInference.Labelled(data.Find(schema.Label.Name)!) ?? [.. Enumerable.Range(0, data.RowCount)];
        var keep = labelled;
        var duplicates = 0;
        if (cleaning.DropDuplicates)
        {
            // Typed values, so 1.0 and 1 repeat each other. Rows are sorted by hash (a pair of arrays, not a dictionary of
            // ten million entries); rows whose hashes agree are compared cell by cell, and the later in the file goes.
            var content = RowContent.Of(data, schema);
            var hashes = content.Hashes(seed: 0, singlePrecision: false, keep);
            var order = Enumerable.Range(0, keep.Length).ToArray();
            Array.Sort(hashes, order);
            var repeated = new bool[keep.Length];
            for (var start = 0; start < order.Length;)
            {
                var end = start + 1;
                while (end < order.Length && hashes[end] == hashes[start])
                {
                    end++;
                }

                var run = order[start..end];
                Array.Sort(run);
                for (var i = 1; i < run.Length; i++)
                {
                    repeated[run[i]] = run[..i].Any(earlier => !repeated[earlier] && content.Same(keep[earlier], keep[run[i]]));
                }

                start = end;
            }

            duplicates = repeated.Count(r => r);
            keep = [.. keep.Where((_, i) => !repeated[i])];
        }

        var missing = 0;
        if (cleaning.Missing == MissingPolicy.Drop)
        {
            var features = schema.Features.Select(f => data.Find(f.Name)!).ToArray();
            var complete = keep.Where(r => features.All(f => !f.IsMissing(r))).ToArray();
            missing = keep.Length - complete.Length;
            keep = complete;
        }

        return new CleaningResult(keep, duplicates, missing);
    }
}
