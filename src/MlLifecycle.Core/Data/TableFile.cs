using System.Runtime.InteropServices;
using System.Text;

namespace MlLifecycle.Core.Data;

/// <summary>
/// A <see cref="ColumnTable"/> saved as it is held in memory (little-endian): each column's name and kind, then its
/// doubles, or its dictionary and codes. What the validation stage stores for the run's other activities (on any host)
/// to load without parsing text again: loading is a copy of arrays.
/// </summary>
public static class TableFile
{
    private const int Magic = 0x42544C4D; // "MLTB"
    private const int Version = 1;

    public static void Write(ColumnTable table, Stream destination)
    {
        using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(table.Columns.Count);
        writer.Write(table.RowCount);
        foreach (var column in table.Columns)
        {
            writer.Write(column.Name);
            switch (column)
            {
                case NumberColumn numbers:
                    writer.Write((byte)0);
                    WriteBlocks(writer, numbers.Spans);
                    writer.Write(numbers.Others.Count);
                    foreach (var (row, text) in numbers.Others.OrderBy(o => o.Key))
                    {
                        writer.Write(row);
                        writer.Write(text);
                    }

                    break;
                case CodedColumn coded:
                    writer.Write((byte)1);
                    writer.Write(coded.Entries.Count);
                    foreach (var entry in coded.Entries)
                    {
                        writer.Write(entry);
                    }

                    WriteBlocks(writer, coded.Spans);
                    break;
                default:
                    throw new NotSupportedException($"Column type {column.GetType().Name} cannot be saved.");
            }
        }
    }

    /// <exception cref="InvalidDataException">The stream is not a table file of this version, or is cut short.</exception>
    public static ColumnTable Read(Stream source)
    {
        using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadInt32() != Magic || reader.ReadInt32() != Version)
            {
                throw new InvalidDataException("Not a table file of this version.");
            }

            var (count, rows) = (reader.ReadInt32(), reader.ReadInt32());
            List<Column> columns = [];
            for (var c = 0; c < count; c++)
            {
                var name = reader.ReadString();
                switch (reader.ReadByte())
                {
                    case 0:
                        var values = ReadBlocks<double>(reader, rows);
                        var others = new Dictionary<int, string>();
                        for (var n = reader.ReadInt32(); n > 0; n--)
                        {
                            others[reader.ReadInt32()] = reader.ReadString();
                        }

                        columns.Add(new NumberColumn(name, values, others));
                        break;
                    case 1:
                        var entries = new string[reader.ReadInt32()];
                        for (var e = 0; e < entries.Length; e++)
                        {
                            entries[e] = reader.ReadString();
                        }

                        columns.Add(new CodedColumn(name, entries, ReadBlocks<int>(reader, rows)));
                        break;
                    default:
                        throw new InvalidDataException($"Column '{name}' has an unknown kind.");
                }
            }

            return new ColumnTable(columns);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The table file is cut short.", ex);
        }
    }

    private static void WriteBlocks<T>(BinaryWriter writer, IEnumerable<ReadOnlyMemory<T>> blocks)
        where T : struct
    {
        foreach (var block in blocks)
        {
            writer.Write(MemoryMarshal.AsBytes(block.Span));
        }
    }

    private static Blocks<T> ReadBlocks<T>(BinaryReader reader, int count)
        where T : struct => Blocks<T>.Read(count, block =>
    {
        var bytes = MemoryMarshal.AsBytes(block.Span);
        for (var read = 0; read < bytes.Length;)
        {
            var n = reader.BaseStream.Read(bytes[read..]);
            read += n > 0 ? n : throw new EndOfStreamException();
        }
    });
}
