using MathNet.Numerics.Distributions;
using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Training;

/// <summary>What augmentation added to the training rows (recorded in the model manifest).</summary>
/// <param name="Method">The method applied.</param>
/// <param name="SyntheticRows">Rows added after the original ones.</param>
/// <param name="ClassCountsBefore">Training rows per class before augmentation.</param>
/// <param name="ClassCountsAfter">Training rows per class after augmentation.</param>
/// <param name="Note">Why a class, or every class, was not grown; null when all went to plan.</param>
public sealed record AugmentationReport(AugmentationMethod Method, int SyntheticRows, IReadOnlyDictionary<string, int> ClassCountsBefore, IReadOnlyDictionary<string, int> ClassCountsAfter, string? Note);

/// <summary>
/// Synthetic rows for smaller classes of the training rows: SMOTE (a point between a row and one of its nearest
/// same-class rows) or jitter (a row plus Gaussian noise). Only numeric cells vary; other cells are copied from the
/// base row. Synthetic values stay within each column's training range, and integer columns stay integer.
/// </summary>
public static class Augmentation
{
    /// <summary>SMOTE searches the neighbours of a larger class among this many random members, keeping it O(n · 5 000).</summary>
    public const int MaxCandidates = 5000;

    /// <summary>Returns the original rows followed by synthetic ones (original rows untouched, same order), their labels, and a report (null when Method is None).</summary>
    /// <param name="schema">Schema of the rows; must be a classification schema unless the method is None.</param>
    /// <param name="rows">Training rows, cells in <see cref="DatasetSchema.Features"/> order.</param>
    /// <param name="labels">Their labels.</param>
    /// <param name="spec">Method and its settings.</param>
    /// <param name="seed">Seed of the one random generator used, so the same inputs give the same rows.</param>
    /// <exception cref="ArgumentException">A regression schema with a method other than None, or rows and labels of different lengths.</exception>
    public static (FeatureSource Rows, IReadOnlyList<string> Labels, AugmentationReport? Report) Apply(
        DatasetSchema schema, FeatureSource rows, IReadOnlyList<string> labels, AugmentationSpec spec, int seed)
    {
        if (rows.Count != labels.Count)
        {
            throw new ArgumentException($"{rows.Count} rows but {labels.Count} labels.", nameof(labels));
        }

        if (spec.Method == AugmentationMethod.None)
        {
            return (rows, labels, null);
        }

        List<string?[]> outRows = [];
        List<string> outLabels = [.. labels];

        if (!schema.IsClassification)
        {
            throw new ArgumentException("Augmentation applies to classification only.", nameof(schema));
        }

        var members = (schema.Classes ?? []).Concat(labels).Distinct().ToDictionary(c => c, _ => new List<int>(), StringComparer.Ordinal);
        for (var i = 0; i < labels.Count; i++)
        {
            members[labels[i]].Add(i);
        }

        var before = members.ToDictionary(m => m.Key, m => m.Value.Count, StringComparer.Ordinal);
        var columns = NumericColumns(schema, rows);
        List<string> notes = [];
        if (columns.Length == 0)
        {
            notes.Add("no numeric feature column with values to vary, so no rows were added");
        }
        else
        {
            var values = Enumerable.Range(0, rows.Count).Select(r => columns.Select(c => (double)(float)rows.Number(c.Feature, r)).ToArray()).ToArray();
            var random = new Random(seed);
            // Less a hair, so 0.28 × 25 (= 7.000000000000001 in doubles) targets 7 rows, not 8.
            var target = (int)Math.Ceiling(spec.Ratio * before.Values.DefaultIfEmpty().Max() - 1e-9);
            var smallest = spec.Method == AugmentationMethod.Smote ? 2 : 1;
            foreach (var (label, rowsOfClass) in members)
            {
                var need = target - rowsOfClass.Count;
                if (need <= 0)
                {
                    continue;
                }

                if (rowsOfClass.Count < smallest)
                {
                    notes.Add($"class '{label}' has {rowsOfClass.Count} row(s), too few for {spec.Method}; not grown");
                    continue;
                }

                var synthetic = spec.Method == AugmentationMethod.Smote
                    ? Smote(rows, schema.Features.Count, values, columns, rowsOfClass, need, spec.Neighbors, random)
                    : Jitter(rows, schema.Features.Count, values, columns, rowsOfClass, need, spec.Noise, random);
                outRows.AddRange(synthetic);
                outLabels.AddRange(Enumerable.Repeat(label, need));
            }
        }

        var after = before.ToDictionary(b => b.Key, b => b.Value, StringComparer.Ordinal);
        foreach (var label in outLabels.Skip(labels.Count))
        {
            after[label]++;
        }

        var report = new AugmentationReport(spec.Method, outRows.Count, before, after, notes.Count == 0 ? null : string.Join("; ", notes));
        return (rows.Concat(FeatureSource.FromCells(outRows)), outLabels, report);
    }

    /// <summary>A numeric feature column with its training statistics.</summary>
    /// <param name="Feature">Index in <see cref="DatasetSchema.Features"/> (and in a row).</param>
    /// <param name="Std">Sample standard deviation over all training rows.</param>
    /// <param name="Integer">Every present training value is a whole number.</param>
    private sealed record Column(int Feature, double Std, double Min, double Max, bool Integer)
    {
        /// <summary>A synthetic value as a cell: clamped to the training range, rounded for an integer column.</summary>
        public string Cell(double value)
        {
            var x = Math.Clamp(Integer ? Math.Round(value) : value, Min, Max);
            return ((float)x).ToString("R", CultureInfo.InvariantCulture); // float, as the model reads it back
        }
    }

    private static Column[] NumericColumns(DatasetSchema schema, FeatureSource rows)
    {
        List<Column> columns = [];
        var features = schema.Features;
        for (var f = 0; f < features.Count; f++)
        {
            if (features[f].Kind != ColumnKind.Numeric)
            {
                continue;
            }

            var values = Enumerable.Range(0, rows.Count).Select(r => (double)(float)rows.Number(f, r)).Where(double.IsFinite).ToList();
            if (NumericStats.Of(values) is { } stats)
            {
                columns.Add(new Column(f, stats.Std, stats.Min, stats.Max, values.All(v => v == Math.Floor(v))));
            }
        }

        return [.. columns];
    }

    /// <summary>
    /// SMOTE: base + u · (neighbour − base) with one u ~ U(0, 1) per row, the neighbour drawn from the base row's k
    /// nearest same-class rows. A cell missing in the base or the neighbour keeps the base cell.
    /// </summary>
    private static List<string?[]> Smote(FeatureSource rows, int features, double[][] values, Column[] columns, List<int> members, int count, int neighbors, Random random)
    {
        IReadOnlyList<int> candidates = members.Count <= MaxCandidates ? members : Sample(members, MaxCandidates, random);
        var k = Math.Clamp(neighbors, 1, members.Count - 1);
        Dictionary<int, int[]> nearest = [];
        List<string?[]> synthetic = [];
        for (var n = 0; n < count; n++)
        {
            var b = members[random.Next(members.Count)];
            if (!nearest.TryGetValue(b, out var near))
            {
                nearest[b] = near = Nearest(b, candidates, k, values, columns);
            }

            var other = near[random.Next(near.Length)];
            var u = random.NextDouble();
            var row = Cells(rows, b, features);
            for (var j = 0; j < columns.Length; j++)
            {
                var (x, y) = (values[b][j], values[other][j]);
                if (double.IsFinite(x) && double.IsFinite(y))
                {
                    row[columns[j].Feature] = columns[j].Cell(x + u * (y - x));
                }
            }

            synthetic.Add(row);
        }

        return synthetic;
    }

    /// <summary>Jitter: each present numeric value of a random base row plus N(0, (noise · column std)²).</summary>
    private static List<string?[]> Jitter(FeatureSource rows, int features, double[][] values, Column[] columns, List<int> members, int count, double noise, Random random)
    {
        List<string?[]> synthetic = [];
        for (var n = 0; n < count; n++)
        {
            var b = members[random.Next(members.Count)];
            var row = Cells(rows, b, features);
            for (var j = 0; j < columns.Length; j++)
            {
                if (double.IsFinite(values[b][j]))
                {
                    row[columns[j].Feature] = columns[j].Cell(values[b][j] + noise * columns[j].Std * Normal.Sample(random, 0, 1));
                }
            }

            synthetic.Add(row);
        }

        return synthetic;
    }

    /// <summary>A row's values as cells, to copy into a synthetic row (the cells read back as the same values).</summary>
    private static string?[] Cells(FeatureSource rows, int row, int features) =>
        [.. Enumerable.Range(0, features).Select(f => rows.Text(f, row) is { Length: > 0 } text ? text : null)];

    /// <summary>The k candidates (other than the row itself) closest to a row.</summary>
    private static int[] Nearest(int row, IReadOnlyList<int> candidates, int k, double[][] values, Column[] columns)
    {
        // Max-heap of the k best so far (priority = −distance), so the search is O(candidates · log k).
        var best = new PriorityQueue<int, double>(k + 1);
        foreach (var c in candidates.Where(c => c != row))
        {
            var d = -SquaredDistance(values[row], values[c], columns);
            if (best.Count < k)
            {
                best.Enqueue(c, d);
            }
            else
            {
                best.EnqueueDequeue(c, d);
            }
        }

        return [.. best.UnorderedItems.Select(x => x.Element)];
    }

    /// <summary>Squared Euclidean distance over standardised numeric columns; a dimension missing in either row, or with std 0, is skipped.</summary>
    private static double SquaredDistance(double[] a, double[] b, Column[] columns)
    {
        var sum = 0.0;
        for (var j = 0; j < columns.Length; j++)
        {
            if (columns[j].Std > 0 && double.IsFinite(a[j]) && double.IsFinite(b[j]))
            {
                var z = (a[j] - b[j]) / columns[j].Std;
                sum += z * z;
            }
        }

        return sum;
    }

    /// <summary>A seeded random subset.</summary>
    private static int[] Sample(List<int> members, int size, Random random)
    {
        var pool = members.ToArray();
        random.Shuffle(pool);
        return pool[..size];
    }
}
