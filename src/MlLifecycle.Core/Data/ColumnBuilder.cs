namespace MlLifecycle.Core.Data;

/// <summary>
/// Builds one column from its cells in one pass, choosing the representation as it goes: cells are dictionary-coded
/// until the column has more than <see cref="MaxCodes"/> distinct texts that are all numbers, when it turns into
/// doubles; a column of doubles that then meets many texts that are not numbers turns back into codes (its numbers
/// then read back in round-trip form, the only time a text is not kept as written). Values accumulate in
/// <see cref="Blocks{T}"/>, which the built column keeps: a column is never copied to grow or to finish.
/// </summary>
internal sealed class ColumnBuilder
{
    /// <summary>Distinct numbers a column keeps as codes (4 bytes a cell) before it holds doubles (8 bytes a cell).</summary>
    public const int MaxCodes = 4096;

    private readonly string _name;
    private readonly bool _textOnly;
    private Dictionary<string, int>? _map;
    private Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private List<string> _entries = [];
    private List<double>? _entryNumbers = [];
    private Blocks<int>? _codes = new();
    private Blocks<double>? _numbers;
    private Dictionary<int, string>? _others;
    private int _rows;
    private int _present;

    /// <param name="name">The column's name.</param>
    /// <param name="textOnly">Keep every cell's text (a column declared categorical, text, boolean or date).</param>
    public ColumnBuilder(string name, bool textOnly)
    {
        (_name, _textOnly) = (name, textOnly);
        NewMap();
    }

    public int Rows => _rows;

    /// <summary>Adds a cell: null (missing) or its text.</summary>
    public void Add(string? cell)
    {
        if (cell is null)
        {
            AddMissing();
        }
        else
        {
            Add(cell.AsSpan(), cell);
        }
    }

    /// <summary>Adds a cell from its characters (the string is made only for a new dictionary entry or a stray text).</summary>
    public void Add(ReadOnlySpan<char> cell, string? text = null)
    {
        _present++;
        if (_codes is not null)
        {
            if (!_lookup.TryGetValue(cell, out var code))
            {
                code = _entries.Count;
                var entry = text ?? cell.ToString();
                _map![entry] = code;
                _entries.Add(entry);
                if (_entryNumbers is not null)
                {
                    if (SchemaInference.TryParseNumber(entry, out var x))
                    {
                        _entryNumbers.Add(x);
                    }
                    else
                    {
                        _entryNumbers = null;
                    }
                }
            }

            _codes.Add(code);
            _rows++;
            if (_entryNumbers is not null && !_textOnly && _entries.Count > MaxCodes)
            {
                ToNumbers();
            }

            return;
        }

        if (SchemaInference.TryParseNumber(cell, out var number))
        {
            _numbers!.Add(number);
        }
        else
        {
            (_others ??= [])[_rows] = text ?? cell.ToString();
            _numbers!.Add(double.NaN);
        }

        _rows++;
        if (_others is { } others && others.Count > Math.Max(1000, _present / 10))
        {
            ToCodes();
        }
    }

    /// <summary>Adds a typed number (columnar input): finite, or NaN for missing.</summary>
    public void Add(double number)
    {
        if (double.IsNaN(number))
        {
            AddMissing();
        }
        else if (_numbers is not null && double.IsFinite(number))
        {
            _present++;
            _numbers.Add(number);
            _rows++;
        }
        else
        {
            Add(Column.Format(number));
        }
    }

    public void AddMissing()
    {
        if (_codes is not null)
        {
            _codes.Add(-1);
        }
        else
        {
            _numbers!.Add(double.NaN);
        }

        _rows++;
    }

    public Column Build() => _codes is not null
        ? new CodedColumn(_name, _entries, _codes)
        : new NumberColumn(_name, _numbers!, _others);

    private void ToNumbers()
    {
        var values = _entryNumbers!;
        var codes = _codes!;
        _numbers = new Blocks<double>();
        for (var i = 0; i < codes.Count; i++)
        {
            _numbers.Add(codes[i] < 0 ? double.NaN : values[codes[i]]);
        }

        (_codes, _map, _entries, _entryNumbers) = (null, null, [], null);
    }

    private void ToCodes()
    {
        var numbers = _numbers!;
        var others = _others!;
        (_numbers, _others, _entries, _entryNumbers, _codes) = (null, null, [], null, new());
        NewMap();
        var (rows, present) = (_rows, _present);
        (_rows, _present) = (0, 0);
        for (var row = 0; row < rows; row++)
        {
            var x = numbers[row];
            Add(!double.IsNaN(x) ? Column.Format(x) : others.GetValueOrDefault(row));
        }

        _present = present;
    }

    private void NewMap()
    {
        _map = new Dictionary<string, int>(StringComparer.Ordinal);
        _lookup = _map.GetAlternateLookup<ReadOnlySpan<char>>();
    }
}
