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

    public static TabularData Read(Stream stream)
    {
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        using var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            DetectDelimiterValues = [",", ";", "\t", "|"],
            TrimOptions = TrimOptions.Trim,
            MissingFieldFound = null,
            BadDataFound = null,
        };
        try
        {
            using var csv = new CsvReader(reader, config);
            if (!csv.Read() || csv.Parser.Record is not { Length: > 0 } header || header.All(string.IsNullOrWhiteSpace))
            {
                throw new DataValidationException(AnomalyCodes.EmptyFile, null, "The file is empty: no header row was found.");
            }

            var columns = NameColumns(header);
            var rows = new List<string?[]>();
            while (csv.Read())
            {
                var record = csv.Parser.Record!;
                if (record.Length == 1 && columns.Count > 1 && string.IsNullOrWhiteSpace(record[0]))
                {
                    continue;
                }

                if (record.Length != columns.Count)
                {
                    throw new DataValidationException(
                        AnomalyCodes.RaggedRow,
                        null,
                        $"Row {csv.Parser.Row} has {record.Length} fields but the header has {columns.Count}.");
                }

                var row = new string?[record.Length];
                for (var i = 0; i < record.Length; i++)
                {
                    row[i] = MissingMarkers.Contains(record[i]) ? null : record[i];
                }

                rows.Add(row);
            }

            if (rows.Count == 0)
            {
                throw new DataValidationException(AnomalyCodes.NoRows, null, "The file has a header but no data rows.");
            }

            return new TabularData(columns, rows);
        }
        catch (DecoderFallbackException ex)
        {
            throw new DataValidationException(AnomalyCodes.InvalidEncoding, null, $"The file is not valid UTF-8 text: {ex.Message}");
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
