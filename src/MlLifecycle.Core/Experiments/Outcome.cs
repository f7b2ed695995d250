using System.Globalization;
using System.Text.Json;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Experiments;

/// <summary>What one fed-back prediction scores, for comparing two versions on live traffic.</summary>
public static class Outcome
{
    /// <summary>The ground truth as text (a string, number or boolean); null for anything else.</summary>
    public static string? Text(JsonElement actual) => actual.ValueKind switch
    {
        JsonValueKind.String => actual.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => actual.GetRawText(),
        _ => null,
    };

    /// <summary>
    /// Ground truth as the model's own label: one of the schema's classes (matched without case, so JSON <c>true</c>
    /// is the class <c>True</c>), or a number for regression; null for anything else (a class the model was never
    /// trained on is not ground truth it can be scored against).
    /// </summary>
    public static string? Label(JsonElement actual, DatasetSchema schema) => Text(actual) is { } text ? Label(text, schema) : null;

    /// <inheritdoc cref="Label(JsonElement, DatasetSchema)"/>
    public static string? Label(string text, DatasetSchema schema) =>
        schema.IsClassification
            ? schema.Classes?.FirstOrDefault(c => string.Equals(c, text.Trim(), StringComparison.OrdinalIgnoreCase))
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? text.Trim() : null;

    /// <summary>1 or 0 for a class (correct or not), −|error| for a value; null when the actual cannot be compared.</summary>
    public static double? Of(Prediction predicted, JsonElement actual)
    {
        if (Text(actual) is not { } text)
        {
            return null;
        }

        if (predicted.Score is { } score)
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? -Math.Abs(score - value) : null;
        }

        return string.Equals(predicted.Label, text, StringComparison.Ordinal) ? 1 : 0;
    }
}
