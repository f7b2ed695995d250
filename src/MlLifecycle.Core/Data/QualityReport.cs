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

    /// <summary>Profiles the rows that have a label (before cleaning) against the inferred schema.</summary>
    public static QualityReport Build(TabularData data, DatasetSchema schema, IReadOnlyList<Anomaly> inspectionAnomalies, CleaningResult cleaning)
    {
        var labelIndex = data.IndexOf(schema.Label.Name);
        var rows = data.Rows.Where(r => r[labelIndex] is not null).ToList();
        var labels = rows.Select(r => r[labelIndex]!).ToList();
        var columns = schema.Columns.Select(c => Profile(c, rows, data.IndexOf(c.Name))).ToList();
        Dictionary<string, int>? classCounts = schema.IsClassification
            ? schema.Classes!.ToDictionary(c => c, c => labels.Count(l => l == c), StringComparer.Ordinal)
            : null;
        double? imbalance = classCounts is null ? null : (double)classCounts.Values.Max() / Math.Max(1, classCounts.Values.Min());
        var classes = schema.IsClassification ? Codes(labels) : [];
        var leakage = schema.Features.Select(f => (Feature: f, Index: data.IndexOf(f.Name)))
            .Select(f => Leakage(f.Feature, rows.Select(r => r[f.Index]).ToList(), labels, classes, schema))
            .OfType<LeakageSuspect>().ToList();

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
            data.Rows.Count,
            data.Columns.Count,
            data.Rows.Count - rows.Count,
            cleaning.DuplicatesRemoved,
            cleaning.MissingRowsRemoved,
            cleaning.Data.Rows.Count,
            classCounts,
            imbalance,
            columns,
            schema.Columns.Where(c => c.Ignored == "constant").Select(c => c.Name).ToList(),
            schema.Columns.Where(c => c.Ignored?.StartsWith("ID-like", StringComparison.Ordinal) == true).Select(c => c.Name).ToList(),
            leakage,
            anomalies);
    }

    private static ColumnQuality Profile(ColumnSchema column, List<string?[]> rows, int index)
    {
        var cells = rows.Select(r => r[index]).ToList();
        var missing = cells.Count(c => c is null);
        NumericStats? stats = null;
        OutlierCounts? outliers = null;
        Dictionary<string, int>? top = null;
        if (column.Kind == ColumnKind.Numeric)
        {
            var values = cells.Select(c => c is not null && SchemaInference.TryParseNumber(c, out var x) ? x : double.NaN).Where(double.IsFinite).ToList();
            stats = NumericStats.Of(values);
            outliers = stats is null ? null : new OutlierCounts(stats.CountOutliers(values, OutlierMethod.Iqr), stats.CountOutliers(values, OutlierMethod.ZScore), stats.CountOutliers(values, OutlierMethod.Mad));
        }
        else
        {
            top = cells.OfType<string>().GroupBy(c => c, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Take(TopValueCount).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        }

        return new ColumnQuality(column.Name, column.Kind, missing, cells.Count == 0 ? 0 : (double)missing / cells.Count, column.Distinct, stats, outliers, top, column.Ignored);
    }

    /// <param name="classes">The labels as <see cref="Codes"/> (classification).</param>
    private static LeakageSuspect? Leakage(ColumnSchema feature, List<string?> cells, List<string> labels, int[] classes, DatasetSchema schema)
    {
        if (!schema.IsClassification)
        {
            if (feature.Kind != ColumnKind.Numeric)
            {
                return null;
            }

            var pairs = cells.Zip(labels).Where(p => p.First is not null && SchemaInference.TryParseNumber(p.First, out _)).ToList();
            if (pairs.Count < 10)
            {
                return null;
            }

            var r = Math.Abs(Correlation.Pearson(pairs.Select(p => double.Parse(p.First!, CultureInfo.InvariantCulture)), pairs.Select(p => double.Parse(p.Second, CultureInfo.InvariantCulture))));
            return r >= LeakageThreshold ? new LeakageSuspect(feature.Name, "|pearson r|", r) : null;
        }

        // Purity: the share of rows whose class is the majority class of their feature value (numbers in decile bins).
        // Compared with the label's own majority share, so a dominant class alone raises no suspicion. Counted in
        // arrays, one pass: a million rows take well under a second per feature.
        var keys = feature.Kind == ColumnKind.Numeric ? Bins(cells) : Codes(cells);
        var present = keys.Count(k => k >= 0);
        if (present < 10 || (feature.Kind != ColumnKind.Numeric && feature.Distinct > present / 5))
        {
            return null;
        }

        var classCount = classes.Max() + 1;
        Dictionary<int, int[]> counts = [];
        for (var i = 0; i < keys.Length; i++)
        {
            if (keys[i] >= 0)
            {
                (counts.TryGetValue(keys[i], out var row) ? row : counts[keys[i]] = new int[classCount])[classes[i]]++;
            }
        }

        var purity = counts.Values.Sum(c => c.Max()) / (double)present;
        var baseline = classes.CountBy(c => c).Max(c => c.Value) / (double)labels.Count;
        return purity >= LeakageThreshold && baseline < LeakageThreshold ? new LeakageSuspect(feature.Name, "purity", purity) : null;
    }

    /// <summary>Each cell's decile bin (0–9), or -1 when missing or not a number.</summary>
    private static int[] Bins(List<string?> cells)
    {
        var values = cells.Select(c => c is not null && SchemaInference.TryParseNumber(c, out var x) ? x : double.NaN).ToArray();
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return [.. values.Select(_ => -1)];
        }

        var edges = Enumerable.Range(1, 9).Select(i => NumericStats.Quantile(sorted, i / 10.0)).Distinct().ToArray();
        return [.. values.Select(v => double.IsFinite(v) ? edges.Count(e => v > e) : -1)];
    }

    /// <summary>Each distinct value as a small number (in order of first appearance), -1 for missing.</summary>
    private static int[] Codes(IReadOnlyList<string?> cells)
    {
        Dictionary<string, int> codes = new(StringComparer.Ordinal);
        return [.. cells.Select(c => c is null ? -1 : codes.TryGetValue(c, out var code) ? code : codes[c] = codes.Count)];
    }
}

/// <summary>The data after row-level cleaning, and what was removed.</summary>
public sealed record CleaningResult(TabularData Data, int DuplicatesRemoved, int MissingRowsRemoved);

/// <summary>Row-level cleaning before the split: rows without label, exact duplicates, rows with missing features.</summary>
public static class Cleaner
{
    public static CleaningResult Clean(TabularData data, DatasetSchema schema, CleaningSpec cleaning)
    {
        var labelIndex = data.IndexOf(schema.Label.Name);
        var featureIndexes = schema.Features.Select(f => data.IndexOf(f.Name)).ToArray();
        IEnumerable<string?[]> rows = data.Rows.Where(r => r[labelIndex] is not null);
        var duplicates = 0;
        if (cleaning.DropDuplicates)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var unique = new List<string?[]>();
            foreach (var row in rows)
            {
                // \u001f cannot occur in parsed CSV text, and null is told apart from "".
                if (seen.Add(string.Join('\u001f', row.Select(c => c is null ? "\u001e" : c))))
                {
                    unique.Add(row);
                }
                else
                {
                    duplicates++;
                }
            }

            rows = unique;
        }

        var kept = rows.ToList();
        var missing = 0;
        if (cleaning.Missing == MissingPolicy.Drop)
        {
            missing = kept.RemoveAll(r => featureIndexes.Any(i => r[i] is null));
        }

        return new CleaningResult(new TabularData(data.Columns, kept), duplicates, missing);
    }
}
