namespace MlLifecycle.Core.Data;

/// <summary>A count of rows and the first <see cref="Anomaly.MaxExampleRows"/> of them (1 = the first data row).</summary>
public sealed class RowSample
{
    public List<int> First { get; } = [];

    public int Count { get; private set; }

    public void Add(int row)
    {
        if (Count++ < Anomaly.MaxExampleRows)
        {
            First.Add(row);
        }
    }
}

/// <summary>
/// What the cells of one column hold, counted over some rows: missing cells, numbers and their range, the texts that are
/// not numbers by what they look like (booleans, dates, formulas, NaN or infinities) and where the first of them are.
/// A coded column is read once per distinct entry and once per row for the example rows; a column of numbers once per row.
/// </summary>
internal sealed class Census
{
    private readonly Column _column;
    private readonly int[]? _rows;
    private int[]? _counts;

    private Census(Column column, int[]? rows)
    {
        (_column, _rows) = (column, rows);
    }

    public int Missing { get; private set; }

    public int Numeric { get; private set; }

    public double Min { get; private set; } = double.PositiveInfinity;

    public double Max { get; private set; } = double.NegativeInfinity;

    public int Distinct { get; private set; }

    /// <summary>Words in all present cells (spaces + 1 a cell).</summary>
    public long Tokens { get; private set; }

    /// <summary>Cells that are booleans (among those that are not numbers).</summary>
    public int Booleans { get; private set; }

    /// <summary>Cells that are dates (among those that are not numbers).</summary>
    public int Dates { get; private set; }

    public RowSample NonNumeric { get; } = new();

    public RowSample NonFinite { get; } = new();

    public RowSample Formulas { get; } = new();

    /// <summary>The first cell that is not a number.</summary>
    public string? Example { get; private set; }

    /// <summary>The rows counted: <paramref name="rows"/>, or every row of a column of <paramref name="length"/>.</summary>
    public static IEnumerable<int> Rows(int[]? rows, int length) => rows ?? Enumerable.Range(0, length);

    /// <param name="column">The column.</param>
    /// <param name="rows">The rows to count (null = all); row numbers in the samples are positions among them, from 1.</param>
    /// <param name="count">How many rows that is.</param>
    public static Census Of(Column column, int[]? rows, int count)
    {
        var census = new Census(column, rows);
        if (column is CodedColumn coded)
        {
            census.CountCoded(coded, count);
        }
        else
        {
            census.CountNumbers((NumberColumn)column);
        }

        return census;
    }

    /// <summary>Each distinct present text and its rows.</summary>
    public IEnumerable<(string Text, int Count)> Texts()
    {
        if (_column is CodedColumn coded)
        {
            var counts = _counts!;
            return Enumerable.Range(0, counts.Length).Where(e => counts[e] > 0).Select(e => (coded.Entries[e], counts[e]));
        }

        return Rows(_rows, _column.Length).Select(_column.Text).OfType<string>().CountBy(t => t, StringComparer.Ordinal).Select(c => (c.Key, c.Value));
    }

    private enum Look : byte { Number, NonFinite, Other, Formula }

    private void CountCoded(CodedColumn column, int count)
    {
        var counts = _counts = column.Counts(_rows);
        var looks = new Look[counts.Length];
        var present = 0;
        for (var e = 0; e < counts.Length; e++)
        {
            if (counts[e] == 0)
            {
                continue;
            }

            var (text, n) = (column.Entries[e], counts[e]);
            present += n;
            Distinct++;
            looks[e] = Classify(text, n);
            if (looks[e] == Look.Number)
            {
                Numeric += n;
                var x = column.EntryNumbers[e];
                (Min, Max) = (Math.Min(Min, x), Math.Max(Max, x));
            }
        }

        Missing = count - present;
        if (looks.All(l => l == Look.Number))
        {
            return;
        }

        var position = 0;
        foreach (var row in Rows(_rows, column.Length))
        {
            position++;
            var code = column.Code(row);
            if (code >= 0 && looks[code] != Look.Number)
            {
                Note(looks[code], column.Entries[code], position);
            }
        }
    }

    private void CountNumbers(NumberColumn column)
    {
        var finite = GC.AllocateUninitializedArray<double>(_rows?.Length ?? column.Length);
        var position = 0;
        foreach (var row in Rows(_rows, column.Length))
        {
            position++;
            var x = column.Number(row);
            if (!double.IsNaN(x))
            {
                finite[Numeric++] = x;
                continue;
            }

            if (column.Others.TryGetValue(row, out var text))
            {
                Note(Classify(text, 1), text, position);
            }
            else
            {
                Missing++;
            }
        }

        Tokens += Numeric;
        var sorted = finite.AsSpan(0, Numeric);
        sorted.Sort();
        for (var i = 0; i < sorted.Length; i++)
        {
            Distinct += i == 0 || sorted[i] != sorted[i - 1] ? 1 : 0;
        }

        if (column.Others.Count > 0)
        {
            Distinct += Rows(_rows, column.Length).Select(r => column.Others.GetValueOrDefault(r)).OfType<string>().Distinct(StringComparer.Ordinal).Count();
        }

        (Min, Max) = sorted.Length > 0 ? (sorted[0], sorted[^1]) : (Min, Max);
    }

    /// <summary>What a present text looks like; counts its words, and the booleans and dates among those that are not numbers.</summary>
    private Look Classify(string text, int n)
    {
        Tokens += (long)(text.Count(c => c == ' ') + 1) * n;
        if (SchemaInference.TryParseNumber(text, out _))
        {
            return Look.Number;
        }

        if (SchemaInference.IsNonFinite(text))
        {
            return Look.NonFinite;
        }

        Booleans += SchemaInference.ParseBoolean(text) is null ? 0 : n;
        Dates += SchemaInference.TryParseDate(text, out _) ? n : 0;
        return SchemaInference.IsFormula(text) ? Look.Formula : Look.Other;
    }

    private void Note(Look look, string text, int position)
    {
        if (look == Look.NonFinite)
        {
            NonFinite.Add(position);
            return;
        }

        NonNumeric.Add(position);
        Example ??= text;
        if (look == Look.Formula)
        {
            Formulas.Add(position);
        }
    }
}
