using System.Collections;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Training;

/// <summary>
/// The raw feature values of some rows, features in <see cref="DatasetSchema.Features"/> order: what training reads
/// (columns of the run's table, through row indexes) and what serving reads (cells of a request). Both read a value
/// with the same parsing rules, so a model sees the same conversion in training and serving.
/// </summary>
public abstract class FeatureSource
{
    public abstract int Count { get; }

    /// <summary>A number; NaN when missing, not a number or not finite.</summary>
    public abstract double Number(int feature, int row);

    /// <summary>A text; "" when missing.</summary>
    public abstract string Text(int feature, int row);

    /// <summary>A boolean as 1 or 0; NaN when missing or not a boolean.</summary>
    public abstract float Boolean(int feature, int row);

    /// <summary>A date; null when missing or not a date.</summary>
    public abstract DateTime? Date(int feature, int row);

    /// <summary>Some of the rows, in the order given: a view, not a copy.</summary>
    public virtual FeatureSource Subset(int[] rows) => new SubsetSource(this, rows);

    /// <summary>These rows followed by <paramref name="more"/>.</summary>
    public FeatureSource Concat(FeatureSource more) => new ConcatSource(this, more);

    /// <summary>These rows with feature <paramref name="feature"/> of row i read from row <paramref name="from"/>[i] (a shuffled column).</summary>
    public FeatureSource Permute(int feature, int[] from) => new PermutedSource(this, feature, from);

    /// <summary>At most <paramref name="max"/> of <paramref name="count"/> rows, spread evenly (all of them when there are no more).</summary>
    public static int[] Spread(int count, int max) =>
        [.. Enumerable.Range(0, Math.Min(count, max)).Select(i => count <= max ? i : (int)((long)i * count / max))];

    /// <summary>Rows of raw cells (requests, small tables).</summary>
    public static FeatureSource FromCells(IReadOnlyList<string?[]> rows) => new CellSource(rows);

    /// <summary>Columns of a table in feature order, over some of its rows (null = all).</summary>
    public static FeatureSource FromColumns(Column[] features, int[]? rows = null) => new ColumnSource(features, rows);

    private sealed class CellSource(IReadOnlyList<string?[]> rows) : FeatureSource
    {
        public override int Count => rows.Count;

        public override double Number(int feature, int row) => rows[row][feature] is { } cell && SchemaInference.TryParseNumber(cell, out var x) ? x : double.NaN;

        public override string Text(int feature, int row) => rows[row][feature] ?? string.Empty;

        public override float Boolean(int feature, int row) => rows[row][feature] is { } b && SchemaInference.ParseBoolean(b) is { } v ? (v ? 1 : 0) : float.NaN;

        public override DateTime? Date(int feature, int row) => rows[row][feature] is { } d && SchemaInference.TryParseDate(d, out var date) ? date : null;
    }

    private sealed class ColumnSource(Column[] features, int[]? rows) : FeatureSource
    {
        public override int Count => rows?.Length ?? (features.Length == 0 ? 0 : features[0].Length);

        public override double Number(int feature, int row) => features[feature].Number(rows?[row] ?? row);

        public override string Text(int feature, int row) => features[feature].Text(rows?[row] ?? row) ?? string.Empty;

        public override float Boolean(int feature, int row) => features[feature].Boolean(rows?[row] ?? row);

        public override DateTime? Date(int feature, int row) => features[feature].Date(rows?[row] ?? row);

        public override FeatureSource Subset(int[] subset) => new ColumnSource(features, rows is null ? subset : [.. subset.Select(i => rows[i])]);
    }

    private sealed class SubsetSource(FeatureSource source, int[] rows) : FeatureSource
    {
        public override int Count => rows.Length;

        public override double Number(int feature, int row) => source.Number(feature, rows[row]);

        public override string Text(int feature, int row) => source.Text(feature, rows[row]);

        public override float Boolean(int feature, int row) => source.Boolean(feature, rows[row]);

        public override DateTime? Date(int feature, int row) => source.Date(feature, rows[row]);
    }

    private sealed class ConcatSource(FeatureSource first, FeatureSource second) : FeatureSource
    {
        public override int Count => first.Count + second.Count;

        public override double Number(int feature, int row) => row < first.Count ? first.Number(feature, row) : second.Number(feature, row - first.Count);

        public override string Text(int feature, int row) => row < first.Count ? first.Text(feature, row) : second.Text(feature, row - first.Count);

        public override float Boolean(int feature, int row) => row < first.Count ? first.Boolean(feature, row) : second.Boolean(feature, row - first.Count);

        public override DateTime? Date(int feature, int row) => row < first.Count ? first.Date(feature, row) : second.Date(feature, row - first.Count);
    }

    private sealed class PermutedSource(FeatureSource source, int permuted, int[] from) : FeatureSource
    {
        public override int Count => source.Count;

        public override double Number(int feature, int row) => source.Number(feature, Row(feature, row));

        public override string Text(int feature, int row) => source.Text(feature, Row(feature, row));

        public override float Boolean(int feature, int row) => source.Boolean(feature, Row(feature, row));

        public override DateTime? Date(int feature, int row) => source.Date(feature, Row(feature, row));

        private int Row(int feature, int row) => feature == permuted ? from[row] : row;
    }
}

/// <summary>A read-only view of some items of a list, in the order of <paramref name="indexes"/>: folds pick rows without copying them.</summary>
public sealed class Picked<T>(IReadOnlyList<T> source, int[] indexes) : IReadOnlyList<T>
{
    public T this[int index] => source[indexes[index]];

    public int Count => indexes.Length;

    public IEnumerator<T> GetEnumerator() => indexes.Select(i => source[i]).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The texts of one column over some of its rows (null = all), as a list: a run's labels, without a copy.</summary>
public sealed class ColumnTexts(Column column, int[]? rows = null) : IReadOnlyList<string>
{
    public string this[int index] => column.Text(rows?[index] ?? index) ?? string.Empty;

    public int Count => rows?.Length ?? column.Length;

    public IEnumerator<string> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
