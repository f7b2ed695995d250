using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace MlLifecycle.Core.Data;

/// <summary>
/// A row's content as typed values, the same whatever file format carried it: numbers as numbers, booleans as true or
/// false, dates as instants, other cells as their text, and missing as missing. Hashes rows (the split, duplicates) and
/// compares them.
/// </summary>
public sealed class RowContent
{
    private const ulong MissingKey = 0x9E3779B97F4A7C15;

    private readonly (Column Column, ColumnKind Kind, ulong[]? EntryKeys)[] _columns;

    /// <param name="table">The table.</param>
    /// <param name="columns">The columns that make a row's content, with the kind the schema gave each.</param>
    public RowContent(ColumnTable table, IEnumerable<(string Name, ColumnKind Kind)> columns)
    {
        _columns = [.. columns.Select(c => table.Find(c.Name) is { } column
            ? (column, c.Kind, column is CodedColumn coded && c.Kind is ColumnKind.Categorical or ColumnKind.Text ? coded.Entries.Select(TextKey).ToArray() : null)
            : throw new ArgumentException($"The table has no column '{c.Name}'.", nameof(columns)))];
    }

    /// <summary>The columns of a file under its schema: every column it had, the label among them, and not the history fields derived from them.</summary>
    public static RowContent Of(ColumnTable table, DatasetSchema schema) =>
        new(table, schema.Columns.Where(c => c.History is null).Append(schema.Label).Select(c => (c.Name, c.Kind)));

    /// <summary>
    /// Each row's xxHash64 of its cells with a seed. With <paramref name="singlePrecision"/> numbers count as the
    /// single-precision values a model reads, so a file that stores a column as float32 and one that writes its
    /// decimals hash alike; otherwise as written (doubles).
    /// </summary>
    public ulong[] Hashes(long seed, bool singlePrecision, int[]? rows = null)
    {
        var count = rows?.Length ?? _columns[0].Column.Length;
        var hashes = new ulong[count];
        Parallel.For(0, (count + 65_535) / 65_536, block =>
        {
            Span<byte> buffer = stackalloc byte[8 * _columns.Length];
            for (var i = block * 65_536; i < Math.Min(count, (block + 1) * 65_536); i++)
            {
                var row = rows?[i] ?? i;
                for (var c = 0; c < _columns.Length; c++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(buffer[(8 * c)..], Key(c, row, singlePrecision));
                }

                hashes[i] = XxHash64.HashToUInt64(buffer, seed);
            }
        });
        return hashes;
    }

    /// <summary>Whether two rows hold the same values (numbers exactly, texts ordinally).</summary>
    public bool Same(int a, int b)
    {
        for (var c = 0; c < _columns.Length; c++)
        {
            var (column, kind, _) = _columns[c];
            var same = kind is ColumnKind.Categorical or ColumnKind.Text
                ? column.Text(a) == column.Text(b)
                : Key(c, a, singlePrecision: false) == Key(c, b, singlePrecision: false);
            if (!same)
            {
                return false;
            }
        }

        return true;
    }

    private ulong Key(int c, int row, bool singlePrecision)
    {
        var (column, kind, entries) = _columns[c];
        if (column.IsMissing(row))
        {
            return MissingKey;
        }

        switch (kind)
        {
            case ColumnKind.Numeric when column.Number(row) is var x && !double.IsNaN(x):
                return singlePrecision ? 1UL << 40 | BitConverter.SingleToUInt32Bits((float)x) : BitConverter.DoubleToUInt64Bits(x);
            case ColumnKind.Boolean when column.Boolean(row) is var b && !float.IsNaN(b):
                return b == 1 ? 0xB001UL : 0xB000UL;
            case ColumnKind.DateTime when column.Date(row) is { } date:
                return (ulong)date.Ticks ^ 0xD47E000000000000;
            default:
                return entries is not null && column is CodedColumn coded ? entries[coded.Code(row)] : TextKey(column.Text(row)!);
        }
    }

    private static ulong TextKey(string text) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(text));
}
