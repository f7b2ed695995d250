using System.Globalization;
using System.Text.Json;
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
