using System.Globalization;

namespace MlLifecycle.Core.Data;

/// <summary>
/// One column of a <see cref="ColumnTable"/>, stored the way its values are cheapest to hold: numbers as doubles
/// (<see cref="NumberColumn"/>), anything else, and numbers of few distinct values, as dictionary codes
/// (<see cref="CodedColumn"/>). Missing values are in-band (NaN, code −1), not a bitmap beside the values: a bitmap
/// would add a bit per cell and a branch per read, and neither representation needs one (non-finite numbers are not
/// valid data: NaN only ever means missing). The representation is an optimisation; what a column means (its
/// <see cref="ColumnKind"/>) is the schema's. Read-only once built, so folds and trials share it across threads.
/// </summary>
public abstract class Column(string name)
{
    public string Name { get; } = name;

    public abstract int Length { get; }

    /// <summary>Bytes the column's values take in memory (what the memory estimate is checked against).</summary>
    public abstract long Bytes { get; }

    public abstract bool IsMissing(int row);

    /// <summary>The cell as a number; NaN when missing or not a finite number.</summary>
    public abstract double Number(int row);

    /// <summary>The cell's text: as read (coded columns) or the number in round-trip form; null when missing.</summary>
    public abstract string? Text(int row);

    /// <summary>The cell as a boolean (<c>true</c>/<c>yes</c>/<c>t</c>/<c>y</c> …): 1, 0, or NaN when missing or not a boolean.</summary>
    public virtual float Boolean(int row) => Text(row) is { } text && SchemaInference.ParseBoolean(text) is { } b ? (b ? 1 : 0) : float.NaN;

    /// <summary>The cell as a date (UTC); null when missing or not a date.</summary>
    public virtual DateTime? Date(int row) => Text(row) is { } text && SchemaInference.TryParseDate(text, out var date) ? date : null;

    /// <summary>The rows <paramref name="rows"/> as a new column (in that order).</summary>
    public abstract Column Take(ReadOnlySpan<int> rows);

    /// <summary>Keeps only <paramref name="rows"/> (ascending), in place: for the stage that owns a freshly read table.</summary>
    internal abstract void Retain(ReadOnlySpan<int> rows);

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Numbers (NaN = missing), with the few cells that were text and not numbers kept by row, for the data checks to report.</summary>
public sealed class NumberColumn : Column
{
    private readonly Blocks<double> _values;
    private Dictionary<int, string>? _others;

    public NumberColumn(string name, Blocks<double> values, Dictionary<int, string>? others = null)
        : base(name)
    {
        _values = values;
        _others = others is { Count: > 0 } ? others : null;
    }

    public NumberColumn(string name, ReadOnlySpan<double> values)
        : this(name, Blocks<double>.Of(values))
    {
    }

    public override int Length => _values.Count;

    public override long Bytes => _values.Bytes + (64L * (_others?.Count ?? 0));

    /// <summary>The values block by block (what a saved table writes).</summary>
    public IEnumerable<ReadOnlyMemory<double>> Spans => _values.Spans();

    /// <summary>Cells that held text that is not a finite number (a word, <c>NaN</c>, <c>inf</c>), by row; empty for clean data.</summary>
    public IReadOnlyDictionary<int, string> Others => _others ?? (IReadOnlyDictionary<int, string>)EmptyOthers;

    private static readonly Dictionary<int, string> EmptyOthers = [];

    public override bool IsMissing(int row) => double.IsNaN(_values[row]) && _others?.ContainsKey(row) != true;

    public override double Number(int row) => _values[row];

    public override string? Text(int row)
    {
        var x = _values[row];
        return !double.IsNaN(x) ? Format(x) : _others?.GetValueOrDefault(row);
    }

    public override Column Take(ReadOnlySpan<int> rows)
    {
        var values = new Blocks<double>();
        Dictionary<int, string>? others = null;
        for (var i = 0; i < rows.Length; i++)
        {
            values.Add(_values[rows[i]]);
            if (_others is not null && _others.TryGetValue(rows[i], out var text))
            {
                (others ??= [])[i] = text;
            }
        }

        return new NumberColumn(Name, values, others);
    }

    internal override void Retain(ReadOnlySpan<int> rows)
    {
        if (_others is not null)
        {
            Dictionary<int, string> moved = [];
            for (var i = 0; i < rows.Length; i++)
            {
                if (_others.TryGetValue(rows[i], out var text))
                {
                    moved[i] = text;
                }
            }

            _others = moved.Count > 0 ? moved : null;
        }

        _values.Retain(rows);
    }
}

/// <summary>
/// Dictionary-coded cells: each row holds the index of its text in <see cref="Entries"/> (−1 = missing). Numbers,
/// booleans and dates are parsed once per entry, not once per row.
/// </summary>
public sealed class CodedColumn : Column
{
    private readonly Blocks<int> _codes;
    private double[]? _numbers;
    private float[]? _booleans;
    private DateTime?[]? _dates;

    public CodedColumn(string name, IReadOnlyList<string> entries, Blocks<int> codes)
        : base(name)
    {
        Entries = entries;
        _codes = codes;
    }

    /// <summary>The distinct texts, in order of first appearance (some may no longer occur after rows were dropped).</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>The codes block by block (what a saved table writes).</summary>
    public IEnumerable<ReadOnlyMemory<int>> Spans => _codes.Spans();

    public override int Length => _codes.Count;

    public override long Bytes => _codes.Bytes + Entries.Sum(e => 40L + (2L * e.Length));

    /// <summary>Each entry as a number (NaN when it is not a finite number).</summary>
    public double[] EntryNumbers => LazyInitializer.EnsureInitialized(ref _numbers, () =>
        [.. Entries.Select(e => SchemaInference.TryParseNumber(e, out var x) ? x : double.NaN)]);

    /// <summary>A row's code: the index of its text in <see cref="Entries"/>, −1 when missing.</summary>
    public int Code(int row) => _codes[row];

    public override bool IsMissing(int row) => _codes[row] < 0;

    public override double Number(int row) => _codes[row] is var code and >= 0 ? EntryNumbers[code] : double.NaN;

    public override string? Text(int row) => _codes[row] is var code and >= 0 ? Entries[code] : null;

    public override float Boolean(int row)
    {
        var booleans = LazyInitializer.EnsureInitialized(ref _booleans, () =>
            [.. Entries.Select(e => SchemaInference.ParseBoolean(e) is { } b ? (b ? 1f : 0f) : float.NaN)]);
        return _codes[row] is var code and >= 0 ? booleans[code] : float.NaN;
    }

    public override DateTime? Date(int row)
    {
        var dates = LazyInitializer.EnsureInitialized(ref _dates, () =>
            [.. Entries.Select(e => SchemaInference.TryParseDate(e, out var d) ? d : (DateTime?)null)]);
        return _codes[row] is var code and >= 0 ? dates[code] : null;
    }

    /// <summary>Rows per entry (over <paramref name="rows"/>, or every row).</summary>
    public int[] Counts(int[]? rows = null)
    {
        var counts = new int[Entries.Count];
        if (rows is null)
        {
            for (var row = 0; row < _codes.Count; row++)
            {
                if (_codes[row] is var code and >= 0)
                {
                    counts[code]++;
                }
            }
        }
        else
        {
            foreach (var row in rows)
            {
                if (_codes[row] is var code and >= 0)
                {
                    counts[code]++;
                }
            }
        }

        return counts;
    }

    public override Column Take(ReadOnlySpan<int> rows)
    {
        var codes = new Blocks<int>();
        foreach (var row in rows)
        {
            codes.Add(_codes[row]);
        }

        return new CodedColumn(Name, Entries, codes);
    }

    internal override void Retain(ReadOnlySpan<int> rows) => _codes.Retain(rows);
}
