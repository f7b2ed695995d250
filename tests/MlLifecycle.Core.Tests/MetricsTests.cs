using MlLifecycle.Core.Evaluation;

namespace MlLifecycle.Core.Tests;

public class MetricsTests
{
    /// <summary>400 rows, 320 right: the bootstrap standard error of accuracy is the binomial one, √(0.8 · 0.2 / 400) = 0.02.</summary>
    [Fact]
    public void BootstrapStandardError_Accuracy_IsNearTheBinomialOne()
    {
        var table = Data.ColumnTable.FromRows(["x", "y"], [.. Enumerable.Range(0, 400).Select(i => new string?[] { i.ToString(System.Globalization.CultureInfo.InvariantCulture), i % 2 == 0 ? "p" : "n" })]);
        var schema = Data.SchemaInference.Infer(table, "y");
        var actual = TestRows.Texts(table, "y").Select(t => t!).ToList();
        var predictions = actual.Select((a, i) => new Training.Prediction(i % 5 == 0 ? (a == "p" ? "n" : "p") : a, null, new Dictionary<string, double> { ["p"] = 0.5, ["n"] = 0.5 })).ToList();

        var error = Metrics.BootstrapStandardError(schema, actual, predictions, "accuracy");

        Assert.Equal(0.8, Metrics.For(schema, actual, predictions)["accuracy"], 12);
        Assert.InRange(error!.Value, 0.017, 0.023);
        Assert.Equal(error, Metrics.BootstrapStandardError(schema, actual, predictions, "accuracy")); // seeded
    }

    [Fact]
    public void Classification_HandComputedBinary_MatchesEveryMetric()
    {
        // Confusion (positive = "p"): TP=3, FN=1, FP=2, TN=4.
        string[] actual = ["p", "p", "p", "p", "n", "n", "n", "n", "n", "n"];
        string?[] predicted = ["p", "p", "p", "n", "p", "p", "n", "n", "n", "n"];
        var probabilities = predicted.Select(p => (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["p"] = p == "p" ? 0.8 : 0.2, ["n"] = p == "p" ? 0.2 : 0.8 }).ToList();

        var m = Metrics.Classification(actual, predicted, probabilities, ["n", "p"], "p");

        Assert.Equal(0.7, m["accuracy"], 10);
        Assert.Equal(0.6, m["precision"], 10);          // 3 / (3 + 2)
        Assert.Equal(0.75, m["recall"], 10);            // 3 / (3 + 1)
        Assert.Equal(2.0 / 3.0, m["f1"], 10);           // 2·3 / (2·3 + 2 + 1)
        Assert.Equal((0.75 + 4.0 / 6.0) / 2, m["balancedAccuracy"], 10);
        Assert.Equal((2.0 / 3.0 + 8.0 / 11.0) / 2, m["macroF1"], 10); // F1(n) = 2·4 / (2·4 + 1 + 2)
        Assert.Equal(-(7 * Math.Log(0.8) + 3 * Math.Log(0.2)) / 10, m["logLoss"], 10);
        // Scores 0.8 for predicted p: positives score (0.8, 0.8, 0.8, 0.2), negatives (0.8, 0.8, 0.2 ×4).
        // Pairs: 3 high positives beat 4 low negatives (12) and tie 2 high negatives (6 × 0.5 = 3);
        // 1 low positive ties 4 low negatives (2). AUC = 17 / 24.
        Assert.Equal(17.0 / 24.0, m["auc"], 10);
    }

    [Fact]
    public void Auc_PerfectAndInverted_AreOneAndZero()
    {
        Assert.Equal(1.0, Metrics.Auc([false, false, true, true], [0.1, 0.2, 0.8, 0.9]));
        Assert.Equal(0.0, Metrics.Auc([true, true, false, false], [0.1, 0.2, 0.8, 0.9]));
        Assert.True(double.IsNaN(Metrics.Auc([true, true], [0.1, 0.2])));
    }

    [Fact]
    public void Classification_Multiclass_MacroF1AveragesClasses()
    {
        string[] actual = ["a", "a", "b", "c"];
        string?[] predicted = ["a", "b", "b", "b"];

        var m = Metrics.Classification(actual, predicted, null, ["a", "b", "c"], null);

        // F1(a) = 2/3, F1(b) = 2·1/(2+2+0) = 1/2, F1(c) = 0.
        Assert.Equal((2.0 / 3.0 + 0.5 + 0) / 3, m["macroF1"], 10);
        Assert.Equal(0.5, m["accuracy"], 10);
        Assert.False(m.ContainsKey("auc"));
    }

    [Fact]
    public void Regression_HandComputed_MatchesRmseMaeR2()
    {
        double[] actual = [1, 2, 3, 4];
        double[] predicted = [1, 3, 2, 4];

        var m = Metrics.Regression(actual, predicted);

        Assert.Equal(Math.Sqrt(0.5), m["rmse"], 10);  // errors 0, 1, -1, 0
        Assert.Equal(0.5, m["mae"], 10);
        Assert.Equal(1 - 2.0 / 5.0, m["r2"], 10);      // SSres 2, SStot 5
    }
}
