using System.Globalization;
using CsvHelper;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Training;

/// <summary>
/// The prediction file of the CLI's <c>predict</c> and of batch jobs: the input columns, then <c>PredictedLabel</c>
/// (classification, with one <c>Probability_{class}</c> column per class, six decimals) or <c>Score</c> (regression),
/// one line per input row in input order.
/// </summary>
public static class PredictionCsv
{
    /// <summary>Writes the rows of <paramref name="input"/> with their predictions, after the header when <paramref name="header"/> is set.</summary>
    /// <remarks>Chunks written without a header, one after another, make the same file as one write of all rows.</remarks>
    public static void Write(TextWriter writer, TabularData input, IReadOnlyList<Prediction> predictions, DatasetSchema schema, bool header = true)
    {
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture, leaveOpen: true);
        var classes = schema.Classes ?? [];
        if (header)
        {
            foreach (var column in input.Columns)
            {
                csv.WriteField(column);
            }

            csv.WriteField(schema.IsClassification ? "PredictedLabel" : "Score");
            foreach (var c in classes)
            {
                csv.WriteField($"Probability_{c}");
            }

            csv.NextRecord();
        }

        for (var i = 0; i < predictions.Count; i++)
        {
            foreach (var cell in input.Rows[i])
            {
                csv.WriteField(cell ?? "");
            }

            csv.WriteField(schema.IsClassification ? predictions[i].Label : predictions[i].Score?.ToString("R", CultureInfo.InvariantCulture));
            foreach (var c in classes)
            {
                csv.WriteField(predictions[i].Probabilities!.GetValueOrDefault(c).ToString("F6", CultureInfo.InvariantCulture));
            }

            csv.NextRecord();
        }
    }
}
