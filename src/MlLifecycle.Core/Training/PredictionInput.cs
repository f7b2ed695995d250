using System.Globalization;
using System.Text.Json;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Training;

/// <summary>Turns prediction requests (JSON or CSV) into rows of raw cells in the model's feature order.</summary>
public static class PredictionInput
{
    /// <summary>Reads one object, <c>{"rows":[…]}</c> or a bare array of objects.</summary>
    /// <param name="body">The request.</param>
    /// <param name="schema">The model's schema.</param>
    /// <param name="required">Per feature, whether the model reads it (null = all); a feature it does not read may be absent.</param>
    /// <param name="maxRows">More rows than this are refused (<see cref="InvalidInputException.TooLarge"/>).</param>
    /// <exception cref="InvalidInputException">A row is not an object, or a feature is absent or of the wrong type, or too many rows.</exception>
    public static List<string?[]> FromJson(JsonElement body, DatasetSchema schema, IReadOnlyList<bool>? required = null, int maxRows = 10_000)
    {
        var items = body.ValueKind switch
        {
            JsonValueKind.Object when body.TryGetProperty("rows", out var rows) && rows.ValueKind == JsonValueKind.Array => rows.EnumerateArray().ToList(),
            JsonValueKind.Object => [body],
            JsonValueKind.Array => body.EnumerateArray().ToList(),
            _ => throw new InvalidInputException("The body must be a JSON object (one row), {\"rows\": [...]} or an array of objects."),
        };
        if (items.Count == 0)
        {
            throw new InvalidInputException("The request has no rows.", "rows");
        }

        if (items.Count > maxRows)
        {
            throw new InvalidInputException($"The request has {items.Count} rows; the limit is {maxRows} rows per request (Serving:MaxRows). Send more rows in several requests.", "rows", tooLarge: true);
        }

        var features = schema.Features;
        var result = new List<string?[]>(items.Count);
        for (var r = 0; r < items.Count; r++)
        {
            if (items[r].ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInputException($"Row {r} must be a JSON object of feature values.", "rows", r);
            }

            var row = new string?[features.Count];
            for (var f = 0; f < features.Count; f++)
            {
                row[f] = Cell(items[r], features[f], r, required?[f] ?? true);
            }

            result.Add(row);
        }

        return result;
    }

    /// <summary>Picks the feature columns out of a CSV; every feature column the model reads must be present.</summary>
    /// <param name="table">The CSV, or one chunk of it.</param>
    /// <param name="schema">The model's schema.</param>
    /// <param name="required">Per feature, whether the model reads it (null = all).</param>
    /// <param name="firstRow">Index of the table's first row in the whole file, for the row an error names.</param>
    /// <exception cref="InvalidInputException">A column the model reads is absent, or a numeric cell is not a number.</exception>
    public static List<string?[]> FromTable(TabularData table, DatasetSchema schema, IReadOnlyList<bool>? required = null, int firstRow = 0)
    {
        var indexes = schema.Features.Select((f, k) => (f, i: table.IndexOf(f.Name), required: required?[k] ?? true)).ToList();
        if (indexes.FirstOrDefault(x => x.i < 0 && x.required) is { f: not null } absent)
        {
            throw new InvalidInputException($"The input has no column '{absent.f.Name}', which the model needs{HistoryHint(absent.f)}.", absent.f.Name);
        }

        return table.Rows.Select((row, r) => indexes.Select(x => x.i < 0 ? null : Check(row[x.i], x.f, firstRow + r)).ToArray()).ToList();
    }

    private static string? Cell(JsonElement row, ColumnSchema feature, int r, bool required)
    {
        if (!TryGetProperty(row, feature.Name, out var value))
        {
            return required
                ? throw new InvalidInputException($"Field '{feature.Name}' is required (row {r}){HistoryHint(feature)}.", feature.Name, r)
                : null;
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True or JsonValueKind.False when feature.Kind is ColumnKind.Categorical or ColumnKind.Boolean => value.GetRawText(),
            _ => throw new InvalidInputException($"Field '{feature.Name}' must be {Expected(feature)}, not {value.ValueKind.ToString().ToLowerInvariant()} (row {r}).", feature.Name, r),
        };
        return Check(text, feature, r);
    }

    private static string? Check(string? text, ColumnSchema feature, int r)
    {
        if (text is null || CsvLoader.MissingMarkers.Contains(text.Trim()))
        {
            return null;
        }

        if (feature.Kind == ColumnKind.Numeric && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            throw new InvalidInputException($"Field '{feature.Name}' must be a number, got '{text}' (row {r}).", feature.Name, r);
        }

        return text.Trim();
    }

    /// <summary>Lag and rolling features cannot be computed from one row: say which history the field must carry.</summary>
    private static string HistoryHint(ColumnSchema feature) => feature.History is not null
        ? $": {HistoryFields.WhyRequired(feature)} (send null when there is no such row)"
        : "";

    private static string Expected(ColumnSchema feature) => feature.Kind switch
    {
        ColumnKind.Numeric => "a number",
        ColumnKind.Boolean => "a boolean",
        _ => "a string",
    };

    private static bool TryGetProperty(JsonElement row, string name, out JsonElement value)
    {
        if (row.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in row.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }
}
