using System.Globalization;
using System.IO.Compression;
using Parquet;
using Parquet.Schema;

namespace MlLifecycle.Core.Data;

/// <summary>The file formats a dataset may come in, told apart by the file's name.</summary>
public enum TableFormat
{
    Csv,
    CsvGzip,
    Parquet,
}

/// <summary>
/// Reads an uploaded file into a <see cref="ColumnTable"/> in one streaming pass: no whole-file string, no row objects.
/// CSV and gzip-compressed CSV are read as text; Parquet column by column, with its types.
/// </summary>
public static class TableReader
{
    /// <summary>The name endings of the formats (case-insensitive), for the blob trigger and the CLI.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".csv", ".csv.gz", ".parquet"];

    /// <summary>The format a file's name says it has; null for any other name.</summary>
    public static TableFormat? FormatOf(string name) =>
        name.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase) ? TableFormat.CsvGzip
        : name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? TableFormat.Csv
        : name.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? TableFormat.Parquet
        : null;

    /// <summary>Reads a file of a format; Parquet needs a seekable stream.</summary>
    /// <param name="stream">The file (left open).</param>
    /// <param name="format">Its format.</param>
    /// <param name="textColumns">Columns whose every cell is kept as text (declared categorical, text, boolean or date).</param>
    /// <param name="budget">
    /// Refuses data that cannot fit: Parquet by the rows its metadata states, before reading any; CSV by the rows its
    /// size implies once the first rows are read, then (gzip too, counted as it inflates) by the rows read so far.
    /// </param>
    /// <param name="length">The file's size in bytes, when known (a blob's), for the CSV estimate.</param>
    /// <exception cref="DataValidationException">The file is not of its format, is damaged, empty, or too large.</exception>
    public static async Task<ColumnTable> ReadAsync(Stream stream, TableFormat format, IReadOnlySet<string>? textColumns = null, MemoryBudget? budget = null, long? length = null)
    {
        if (format == TableFormat.Parquet)
        {
            return await ReadParquetAsync(stream, textColumns, budget);
        }

        var counted = new CountingStream(stream);
        void Check(long rows, int columns, bool end)
        {
            if (budget is null)
            {
                return;
            }

            if (!end && rows == CheckRows && length is { } size && counted.BytesRead > 0 && size > counted.BytesRead)
            {
                var estimate = (long)((double)rows * size / counted.BytesRead);
                budget.Check(estimate, columns, string.Create(CultureInfo.InvariantCulture, $"estimated from its first {rows:N0} rows and its {size / 1e6:N0} MB"));
            }

            budget.Check(rows, columns, end ? "read" : string.Create(CultureInfo.InvariantCulture, $"{rows:N0} read so far"));
        }

        if (format == TableFormat.Csv)
        {
            return ReadCsv(counted, textColumns, Check);
        }

        try
        {
            using var gzip = new GZipStream(counted, CompressionMode.Decompress, leaveOpen: true);
            return ReadCsv(gzip, textColumns, Check);
        }
        catch (InvalidDataException ex)
        {
            throw new DataValidationException(AnomalyCodes.InvalidGzip, null, $"The file is named .gz but is not valid gzip: {ex.Message}");
        }
    }

    /// <summary>Rows between two checks of the budget while CSV is read.</summary>
    private const int CheckRows = 1 << 16;

    /// <summary>Reads CSV with the rules of <see cref="CsvLoader"/> (delimiters, quotes, BOM, missing markers, strict UTF-8).</summary>
    /// <param name="stream">The file (left open).</param>
    /// <param name="textColumns">Columns whose every cell is kept as written (declared categorical, text, boolean or date).</param>
    /// <exception cref="DataValidationException">The file is empty, has no data rows, a ragged row, is not UTF-8 or not CSV, or names a column twice.</exception>
    /// <param name="progress">Told the rows read and the columns every <see cref="CheckRows"/> rows and at the end; it may throw to stop.</param>
    public static ColumnTable ReadCsv(Stream stream, IReadOnlySet<string>? textColumns = null, Action<long, int, bool>? progress = null)
    {
        using var csv = CsvLoader.CreateReader(stream, leaveOpen: true);
        var names = CsvLoader.Translate(() => CsvLoader.ReadHeader(csv));
        var builders = names.Select(n => new ColumnBuilder(n, textColumns?.Contains(n) == true)).ToArray();
        CsvLoader.Translate(() =>
        {
            var parser = csv.Parser;
            while (csv.Read())
            {
                var count = parser.Count;
                if (count == 1 && builders.Length > 1 && string.IsNullOrWhiteSpace(parser[0]))
                {
                    continue;
                }

                if (count != builders.Length)
                {
                    throw new DataValidationException(AnomalyCodes.RaggedRow, null, $"Row {parser.Row} has {count} fields but the header has {builders.Length}.");
                }

                for (var i = 0; i < count; i++)
                {
                    var cell = parser[i];
                    if (CsvLoader.IsMissing(cell))
                    {
                        builders[i].AddMissing();
                    }
                    else
                    {
                        builders[i].Add(cell);
                    }
                }

                if (builders[0].Rows % CheckRows == 0)
                {
                    progress?.Invoke(builders[0].Rows, builders.Length, false);
                }
            }

            return 0;
        });

        progress?.Invoke(builders[0].Rows, builders.Length, true);
        return Build(builders);
    }

    private static ColumnTable Build(ColumnBuilder[] builders) => builders.Length > 0 && builders[0].Rows > 0
        ? new ColumnTable([.. builders.Select(b => b.Build())])
        : throw new DataValidationException(AnomalyCodes.NoRows, null, "The file has a header but no data rows.");

    /// <summary>
    /// Reads Parquet row group by row group, each column into its builder: numbers (any integer, float, double or
    /// decimal) as numbers, booleans as <c>true</c>/<c>false</c>, dates and times in ISO 8601, strings as written
    /// (null and empty are missing).
    /// </summary>
    private static async Task<ColumnTable> ReadParquetAsync(Stream stream, IReadOnlySet<string>? textColumns, MemoryBudget? budget)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or NotSupportedException or ArgumentException or IndexOutOfRangeException)
        {
            throw new DataValidationException(AnomalyCodes.MalformedParquet, null, $"The file is not a readable Parquet file: {ex.Message}");
        }

        await using (reader)
        {
            if (reader.Schema.Fields.FirstOrDefault(f => f.SchemaType != SchemaType.Data) is { } nested)
            {
                throw new DataValidationException(AnomalyCodes.NestedColumn, nested.Name, $"Column '{nested.Name}' is a {nested.SchemaType.ToString().ToLowerInvariant()}: nested types (list, map, struct) cannot be features; flatten them into columns first.");
            }

            var fields = reader.Schema.GetDataFields();
            budget?.Check(reader.Metadata?.NumRows ?? 0, fields.Length, "in its Parquet metadata");
            if (fields.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw new DataValidationException(AnomalyCodes.DuplicateColumn, twice.Key, $"The file names column '{twice.Key}' more than once.");
            }

            var builders = fields.Select(f => new ColumnBuilder(f.Name, textColumns?.Contains(f.Name) == true)).ToArray();
            try
            {
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    using var group = reader.OpenRowGroupReader(g);
                    var rows = checked((int)group.RowCount);
                    for (var f = 0; f < fields.Length; f++)
                    {
                        await ReadColumnAsync(group, fields[f], builders[f], rows);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or NotSupportedException or ArgumentException or IndexOutOfRangeException or OverflowException)
            {
                throw new DataValidationException(AnomalyCodes.MalformedParquet, null, $"The Parquet file is damaged or cut short: {ex.Message}");
            }

            return Build(builders);
        }
    }

    private static Task ReadColumnAsync(ParquetRowGroupReader group, DataField field, ColumnBuilder builder, int rows) => field.ClrType switch
    {
        var t when t == typeof(double) => ReadValuesAsync<double>(group, field, builder, rows, x => x),
        var t when t == typeof(float) => ReadValuesAsync<float>(group, field, builder, rows, x => x),
        var t when t == typeof(int) => ReadValuesAsync<int>(group, field, builder, rows, x => x),
        var t when t == typeof(long) => ReadValuesAsync<long>(group, field, builder, rows, x => x),
        var t when t == typeof(short) => ReadValuesAsync<short>(group, field, builder, rows, x => x),
        var t when t == typeof(sbyte) => ReadValuesAsync<sbyte>(group, field, builder, rows, x => x),
        var t when t == typeof(byte) => ReadValuesAsync<byte>(group, field, builder, rows, x => x),
        var t when t == typeof(ushort) => ReadValuesAsync<ushort>(group, field, builder, rows, x => x),
        var t when t == typeof(uint) => ReadValuesAsync<uint>(group, field, builder, rows, x => x),
        var t when t == typeof(ulong) => ReadValuesAsync<ulong>(group, field, builder, rows, x => x),
        var t when t == typeof(decimal) => ReadValuesAsync<decimal>(group, field, builder, rows, x => (double)x),
        var t when t == typeof(bool) => ReadTextsAsync<bool>(group, field, builder, rows, x => x ? "true" : "false"),
        var t when t == typeof(DateTime) => ReadTextsAsync<DateTime>(group, field, builder, rows, x => x.ToString("o", CultureInfo.InvariantCulture)),
        var t when t == typeof(DateTimeOffset) => ReadTextsAsync<DateTimeOffset>(group, field, builder, rows, x => x.ToString("o", CultureInfo.InvariantCulture)),
        var t when t == typeof(DateOnly) => ReadTextsAsync<DateOnly>(group, field, builder, rows, x => x.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        var t when t == typeof(TimeSpan) => ReadValuesAsync<TimeSpan>(group, field, builder, rows, x => x.TotalSeconds),
        var t when t == typeof(TimeOnly) => ReadValuesAsync<TimeOnly>(group, field, builder, rows, x => x.ToTimeSpan().TotalSeconds),
        var t when t == typeof(string) || t == typeof(ReadOnlyMemory<char>) => ReadStringsAsync(group, field, builder, rows),
        _ => throw new DataValidationException(AnomalyCodes.MalformedParquet, field.Name, $"Column '{field.Name}' holds {field.ClrType.Name} values, which cannot be a feature or a label (numbers, booleans, dates and strings can)."),
    };

    private static async Task ReadValuesAsync<T>(ParquetRowGroupReader group, DataField field, ColumnBuilder builder, int rows, Func<T, double> number)
        where T : struct
    {
        foreach (var value in await ReadAsync<T>(group, field, rows))
        {
            builder.Add(value is { } x ? number(x) : double.NaN);
        }
    }

    private static async Task ReadTextsAsync<T>(ParquetRowGroupReader group, DataField field, ColumnBuilder builder, int rows, Func<T, string> text)
        where T : struct
    {
        foreach (var value in await ReadAsync<T>(group, field, rows))
        {
            builder.Add(value is { } x ? text(x) : null);
        }
    }

    /// <summary>
    /// A column's values, null where missing. A required column is read as such: read into nullable values, Parquet.Net
    /// leaves them to whatever its pooled buffers held (seen: random nulls in a column without any).
    /// </summary>
    private static async Task<T?[]> ReadAsync<T>(ParquetRowGroupReader group, DataField field, int rows)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[rows];
            await group.ReadAsync<T>(field, nullable.AsMemory());
            return nullable;
        }

        var values = new T[rows];
        await group.ReadAsync<T>(field, values.AsMemory());
        return [.. values.Select(v => (T?)v)];
    }

    private static async Task ReadStringsAsync(ParquetRowGroupReader group, DataField field, ColumnBuilder builder, int rows)
    {
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory());
        foreach (var value in values)
        {
            builder.Add(string.IsNullOrWhiteSpace(value) ? null : value.Trim());
        }
    }

    /// <summary>A read-only stream that counts the bytes read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
