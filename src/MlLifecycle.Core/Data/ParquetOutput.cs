using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace MlLifecycle.Core.Data;

/// <summary>Rows of cells written as Parquet, a row group per chunk: the output of a batch job whose input was Parquet.</summary>
public static class ParquetOutput
{
    /// <summary>The columns of a Parquet file that hold numbers (any width), read from its footer.</summary>
    /// <exception cref="DataValidationException">The stream is not a Parquet file.</exception>
    public static async Task<IReadOnlySet<string>> NumericColumnsAsync(Stream parquet)
    {
        try
        {
            var schema = await ParquetReader.ReadSchemaAsync(parquet);
            return schema.GetDataFields().Where(f => IsNumber(f.ClrType)).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (IOException ex)
        {
            throw new DataValidationException(AnomalyCodes.MalformedParquet, null, $"The file is not a readable Parquet file: {ex.Message}");
        }
    }

    /// <summary>
    /// Writes chunks of rows (every chunk with the same columns) to a seekable stream: the <paramref name="numeric"/>
    /// columns as nullable doubles, the others as strings (missing as null).
    /// </summary>
    public static async Task WriteAsync(IAsyncEnumerable<TabularData> chunks, Stream destination, Func<string, bool> numeric)
    {
        ParquetWriter? writer = null;
        DataField[] fields = [];
        try
        {
            await foreach (var chunk in chunks)
            {
                if (writer is null)
                {
                    fields = [.. chunk.Columns.Select(c => numeric(c) ? (DataField)new DataField<double?>(c) : new DataField<string>(c))];
                    writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), destination);
                }

                using var group = writer.CreateRowGroup();
                for (var c = 0; c < fields.Length; c++)
                {
                    var cells = chunk.Rows.Select(r => r[c]).ToArray();
                    if (fields[c].ClrType == typeof(string) || fields[c].ClrType == typeof(ReadOnlyMemory<char>))
                    {
                        await group.WriteAsync(fields[c], cells);
                    }
                    else
                    {
                        await group.WriteAsync<double>(fields[c], cells.Select(v => v is not null && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : (double?)null).ToArray());
                    }
                }
            }
        }
        finally
        {
            if (writer is not null)
            {
                await writer.DisposeAsync();
            }
        }
    }

    private static bool IsNumber(Type type) =>
        type == typeof(double) || type == typeof(float) || type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(sbyte)
        || type == typeof(byte) || type == typeof(ushort) || type == typeof(uint) || type == typeof(ulong) || type == typeof(decimal);
}
