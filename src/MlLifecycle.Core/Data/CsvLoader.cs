using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace MlLifecycle.Core.Data;

/// <summary>Reads CSV with CsvHelper: quoted fields, BOM, CRLF, ',', ';' or tab delimiters, strict UTF-8.</summary>
public static class CsvLoader
{
    /// <summary>
    /// Cells read as missing (compared case-insensitively after trimming). <c>NaN</c> is not one of them: a NaN in a
    /// numeric column is reported as a non-finite value. Nor is <c>none</c>, a real category in many datasets.
    /// </summary>
    public static readonly IReadOnlySet<string> MissingMarkers =
        new HashSet<string>(["", "?", "NA", "N/A", "#N/A", "null"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a (trimmed) cell is one of the <see cref="MissingMarkers"/>.</summary>
    public static bool IsMissing(string cell) => cell.Length <= 4 && MissingMarkers.Contains(cell);

    public static TabularData Read(Stream stream)
    {
        using var reader = new CsvChunkReader(stream);
        return reader.Read(int.MaxValue) ?? throw new DataValidationException(AnomalyCodes.NoRows, null, "The file has a header but no data rows.");
    }

    /// <summary>Opens a CSV to read it a chunk of rows at a time (files too large to hold in memory at once).</summary>
    /// <exception cref="DataValidationException">The file is empty, not UTF-8, not CSV, or names a column twice.</exception>
    public static CsvChunkReader Open(Stream stream) => new(stream);

    /// <summary>Maps CsvHelper's and the decoder's failures to the anomalies they mean.</summary>
    internal static T Translate<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (DecoderFallbackException ex)
        {
            throw new DataValidationException(AnomalyCodes.InvalidEncoding, null, $"The file is not valid UTF-8 text: {ex.Message}");
        }
        catch (CsvHelperException ex) when (ex.InnerException is DataValidationException or InvalidDataException)
        {
            // A refusal or a damaged stream under the parser (an inflating or size-limited stream) says what it is itself.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
        catch (CsvHelperException ex) when (ex.InnerException is DecoderFallbackException inner)
        {
            throw new DataValidationException(AnomalyCodes.InvalidEncoding, null, $"The file is not valid UTF-8 text: {inner.Message}");
        }
        catch (CsvHelperException ex)
        {
            throw new DataValidationException(AnomalyCodes.MalformedCsv, null, $"The file is not valid CSV: {ex.Message.Split('\n')[0]}");
        }
    }

    internal static CsvReader CreateReader(Stream stream, bool leaveOpen = false)
    {
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            DetectDelimiterValues = [",", ";", "\t", "|"],
            TrimOptions = TrimOptions.Trim,
            MissingFieldFound = null,
            BadDataFound = null,
        };
        return new CsvReader(reader, config);
    }

    internal static List<string> ReadHeader(CsvReader csv)
    {
        if (!csv.Read() || csv.Parser.Record is not { Length: > 0 } header || header.All(string.IsNullOrWhiteSpace))
        {
            throw new DataValidationException(AnomalyCodes.EmptyFile, null, "The file is empty: no header row was found.");
        }

        return NameColumns(header);
    }

    /// <summary>The next data row (missing markers as null); null at the end of the file. A blank line is skipped.</summary>
    internal static string?[]? ReadRow(CsvReader csv, int columns)
    {
        while (csv.Read())
        {
            var record = csv.Parser.Record!;
            if (record.Length == 1 && columns > 1 && string.IsNullOrWhiteSpace(record[0]))
            {
                continue;
            }

            if (record.Length != columns)
            {
                throw new DataValidationException(
                    AnomalyCodes.RaggedRow,
                    null,
                    $"Row {csv.Parser.Row} has {record.Length} fields but the header has {columns}.");
            }

            var row = new string?[record.Length];
            for (var i = 0; i < record.Length; i++)
            {
                row[i] = IsMissing(record[i]) ? null : record[i];
            }

            return row;
        }

        return null;
    }

    private static List<string> NameColumns(string[] header)
    {
        var names = new List<string>(header.Length);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Length; i++)
        {
            var name = string.IsNullOrWhiteSpace(header[i]) ? $"column_{i + 1}" : header[i].Trim();
            if (!seen.Add(name))
            {
                throw new DataValidationException(AnomalyCodes.DuplicateColumn, name, $"The header names column '{name}' more than once.");
            }

            names.Add(name);
        }

        return names;
    }

    /// <summary>Writes a table as RFC 4180 CSV (missing cells empty).</summary>
    public static void Write(TabularData data, Stream destination)
    {
        using var writer = new StreamWriter(destination, new UTF8Encoding(false), leaveOpen: true);
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
        foreach (var column in data.Columns)
        {
            csv.WriteField(column);
        }

        csv.NextRecord();
        foreach (var row in data.Rows)
        {
            foreach (var cell in row)
            {
                csv.WriteField(cell ?? "");
            }

            csv.NextRecord();
        }
    }
}

/// <summary>
/// Reads a CSV a chunk of rows at a time with the rules of <see cref="CsvLoader.Read"/> (batch scoring streams files
/// that should not be held in memory whole).
/// </summary>
public sealed class CsvChunkReader : IDisposable
{
    private readonly CsvReader _csv;

    /// <exception cref="DataValidationException">The file is empty, not UTF-8, not CSV, or names a column twice.</exception>
    internal CsvChunkReader(Stream stream)
    {
        _csv = CsvLoader.CreateReader(stream);
        try
        {
            Columns = CsvLoader.Translate(() => CsvLoader.ReadHeader(_csv));
        }
        catch
        {
            _csv.Dispose();
            throw;
        }
    }

    public IReadOnlyList<string> Columns { get; }

    /// <summary>Data rows read so far.</summary>
    public int RowsRead { get; private set; }

    /// <summary>The next rows, at most <paramref name="maxRows"/>; null at the end of the file.</summary>
    /// <exception cref="DataValidationException">A ragged row, or the file is not UTF-8 or not CSV.</exception>
    public TabularData? Read(int maxRows) => CsvLoader.Translate(() =>
    {
        var rows = new List<string?[]>(Math.Min(maxRows, 16_384));
        while (rows.Count < maxRows && CsvLoader.ReadRow(_csv, Columns.Count) is { } row)
        {
            rows.Add(row);
        }

        RowsRead += rows.Count;
        return rows.Count == 0 ? null : new TabularData(Columns, rows);
    });

    public void Dispose() => _csv.Dispose();
}
