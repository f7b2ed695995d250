using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;

namespace MlLifecycle.Core.Tests;

public class FoldsTests
{
    private static void AssertPartition(IReadOnlyList<Fold> folds, int rows)
    {
        Assert.Equal(Enumerable.Range(0, rows), folds.SelectMany(f => f.Validation).Order());
        Assert.All(folds, f => Assert.Empty(f.Train.Intersect(f.Validation)));
        Assert.All(folds, f => Assert.Equal(rows, f.Train.Length + f.Validation.Length));
    }

    [Fact]
    public void KFold_ValidatesEveryRowOnce_AndIsSeeded()
    {
        var folds = Folds.KFold(103, 5, seed: 3);

        AssertPartition(folds, 103);
        Assert.All(folds, f => Assert.InRange(f.Validation.Length, 20, 21));
        Assert.Equal(folds[2].Validation, Folds.KFold(103, 5, seed: 3)[2].Validation);
        Assert.NotEqual(folds[2].Validation, Folds.KFold(103, 5, seed: 4)[2].Validation);
    }

    [Fact]
    public void StratifiedKFold_KeepsClassProportionsWithinOneRowPerClass()
    {
        var labels = Enumerable.Range(0, 211).Select(i => i % 10 == 0 ? "rare" : i % 3 == 0 ? "mid" : "common").ToList();

        var folds = Folds.StratifiedKFold(labels, 5, seed: 1);

        AssertPartition(folds, labels.Count);
        foreach (var cls in labels.Distinct())
        {
            var expected = labels.Count(l => l == cls) / 5.0;
            Assert.All(folds, f => Assert.InRange(f.Validation.Count(i => labels[i] == cls), Math.Floor(expected), Math.Ceiling(expected)));
        }
    }

    [Fact]
    public void LeaveOneOut_GivesNFoldsOfOneRow_AndGuardsItsCost()
    {
        var folds = Folds.LeaveOneOut(12);

        Assert.Equal(12, folds.Count);
        Assert.All(folds, f => Assert.Equal([f.Index], f.Validation));
        AssertPartition(folds, 12);
        Assert.Equal(AnomalyCodes.TooManyFolds, Assert.Throws<DataValidationException>(() => Folds.LeaveOneOut(Folds.MaxLeaveOneOutRows + 1)).Code);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TimeSeries_NeverTrainsOnRowsLaterThanItsValidationRows(bool sliding)
    {
        // Rows arrive shuffled in time: the order column decides.
        var random = new Random(5);
        var order = Enumerable.Range(0, 60).Select(i => (double)i).OrderBy(_ => random.Next()).ToList();

        var folds = Folds.TimeSeries(order, 4, sliding);

        Assert.Equal(4, folds.Count);
        Assert.All(folds, f => Assert.True(f.Train.Max(i => order[i]) < f.Validation.Min(i => order[i])));
        Assert.Equal(12, folds[0].Train.Length);
        Assert.Equal(sliding ? 12 : 48, folds[3].Train.Length);
        Assert.Equal(Enumerable.Range(12, 48).Select(i => (double)i), folds.SelectMany(f => f.Validation).Select(i => order[i]).Order());
    }

    [Fact]
    public void GroupKFold_NeverSplitsAGroup()
    {
        var groups = Enumerable.Range(0, 97).Select(i => $"customer-{i % 13}").ToList();

        var folds = Folds.GroupKFold(groups, 4, seed: 2);

        AssertPartition(folds, groups.Count);
        Assert.All(folds, f => Assert.Empty(f.Train.Select(i => groups[i]).Intersect(f.Validation.Select(i => groups[i]))));
    }
}

public class ModelSelectionTests
{
    [Fact]
    public void Summarize_GivesMeanAndSampleStdPerTrainer_AndBestFollowsMetricDirection()
    {
        FoldResult[] results =
        [
            new("LightGbm", 0, 8, 2, new() { ["auc"] = 0.8, ["logLoss"] = 0.5 }, 1),
            new("LightGbm", 1, 8, 2, new() { ["auc"] = 0.9, ["logLoss"] = 0.4 }, 1),
            new("Linear", 0, 8, 2, new() { ["auc"] = 0.7, ["logLoss"] = 0.3 }, 1),
            new("Linear", 1, 8, 2, new() { ["auc"] = double.NaN, ["logLoss"] = 0.3 }, 1),
        ];

        var summaries = ModelSelection.Summarize(results);

        var lightGbm = summaries.Single(s => s.Trainer == "LightGbm");
        Assert.Equal(0.85, lightGbm.Metrics["auc"].Mean, 10);
        Assert.Equal(Math.Sqrt(0.005), lightGbm.Metrics["auc"].Std, 10);
        Assert.Equal(1, summaries.Single(s => s.Trainer == "Linear").Metrics["auc"].Folds);
        Assert.Equal("LightGbm", ModelSelection.Best(summaries, "auc"));
        Assert.Equal("Linear", ModelSelection.Best(summaries, "logLoss"));
    }

    [Fact]
    public void Gate_NoChampion_PassesOnCriteriaAlone()
    {
        Assert.True(Gate.Decide("f1", 0.6, null, null, [new CriterionResult("f1", 0.5, 0.6, true)], new GateSpec()).Passed);
        Assert.False(Gate.Decide("f1", 0.4, null, null, [new CriterionResult("f1", 0.5, 0.4, false)], new GateSpec()).Passed);
    }

    [Theory]
    [InlineData("auc", 0.81, 0.80, 0.0, 0.0, true)]
    [InlineData("auc", 0.80, 0.80, 0.0, 0.0, false)]
    [InlineData("auc", 0.81, 0.80, 0.02, 0.0, false)]
    [InlineData("auc", 0.85, 0.80, 0.0, 0.05, true)]
    [InlineData("auc", 0.83, 0.80, 0.0, 0.05, false)]
    [InlineData("rmse", 1.9, 2.0, 0.0, 0.0, true)]
    [InlineData("rmse", 2.1, 2.0, 0.0, 0.0, false)]
    public void Gate_WithChampion_RequiresImprovementBeyondMargins(string metric, double candidate, double champion, double minAbs, double minRel, bool passed)
    {
        var decision = Gate.Decide(metric, candidate, champion, 3, [], new GateSpec { MinImprovement = minAbs, MinRelativeImprovement = minRel });

        Assert.Equal(passed, decision.Passed);
        Assert.Equal(3, decision.ChampionVersion);
        Assert.Contains("champion v3", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Slices_CategoricalColumn_GivesMetricsPerGroupAndLargestGap()
    {
        string[] values = ["f", "f", "f", "f", "f", "m", "m", "m", "m", "m", "x"];
        double[] correct = [1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1];

        var report = Slices.Compute("sex", values, numeric: false, "accuracy", rows => new() { ["accuracy"] = rows.Average(i => correct[i]) });

        Assert.Equal(["f", "m", "x"], report.Groups.Select(g => g.Value));
        Assert.Equal(0.8, report.Groups[0].Metrics["accuracy"], 10);
        Assert.Equal(0.4, report.Groups[1].Metrics["accuracy"], 10);
        Assert.Equal(0.4, report.Gap, 10); // "x" has 1 row: reported, not compared
    }

    [Fact]
    public void Slices_NumericColumn_UsesQuartileBands()
    {
        var values = Enumerable.Range(1, 20).Select(i => (string?)i.ToString(CultureInfo.InvariantCulture)).ToList();

        var report = Slices.Compute("age", values, numeric: true, "accuracy", rows => new() { ["accuracy"] = 1 });

        Assert.Equal(4, report.Groups.Count);
        Assert.All(report.Groups, g => Assert.Equal(5, g.Rows));
    }
}

public class MetricDetailTests
{
    [Fact]
    public void Detail_ConfusionMatrixAndPerClass_MatchHandCount()
    {
        string[] actual = ["a", "a", "b", "b", "b", "c"];
        string?[] predicted = ["a", "b", "b", "b", "a", "c"];

        var detail = Metrics.Detail(actual, predicted, ["a", "b", "c"]);

        Assert.Equal([1, 1, 0], detail.ConfusionMatrix[0]);
        Assert.Equal([1, 2, 0], detail.ConfusionMatrix[1]);
        Assert.Equal([0, 0, 1], detail.ConfusionMatrix[2]);
        var b = detail.PerClass[1];
        Assert.Equal(2.0 / 3.0, b.Precision, 10);
        Assert.Equal(2.0 / 3.0, b.Recall, 10);
        Assert.Equal(3, b.Support);
    }

    [Fact]
    public void Classification_WeightedAndMicroF1_MatchHandComputation()
    {
        string[] actual = ["a", "a", "b", "b", "b", "c"];
        string?[] predicted = ["a", "b", "b", "b", "a", "c"];

        var m = Metrics.Classification(actual, predicted, null, ["a", "b", "c"], null);

        // F1: a = 1/2, b = 2/3, c = 1; supports 2, 3, 1.
        Assert.Equal((2 * 0.5 + 3 * (2.0 / 3.0) + 1) / 6, m["weightedF1"], 10);
        Assert.Equal(4.0 / 6.0, m["microF1"], 10);
    }

    [Fact]
    public void AveragePrecision_MatchesHandComputation()
    {
        // Ranked by score: +, −, +, − → precision at the two positives: 1 and 2/3 → AP = (1 + 2/3) / 2.
        Assert.Equal((1 + 2.0 / 3.0) / 2, Metrics.AveragePrecision([true, false, true, false], [0.9, 0.8, 0.7, 0.1]), 10);
    }

    [Fact]
    public void Classification_OneClassPresent_LeavesAucOut()
    {
        var m = Metrics.Classification(["p"], ["p"], [new Dictionary<string, double> { ["p"] = 0.9, ["n"] = 0.1 }], ["n", "p"], "p");

        Assert.False(m.ContainsKey("auc"));
        Assert.All(m.Values, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(1.0, m["macroF1"]); // "n" occurs nowhere, so it does not count
    }

    [Fact]
    public void Regression_Mape_SkipsZeroActuals()
    {
        var m = Metrics.Regression([0, 2, 4], [1, 3, 3]);

        Assert.Equal((0.5 + 0.25) / 2, m["mape"], 10);
        Assert.False(Metrics.Regression([0, 0], [1, 1]).ContainsKey("mape"));
    }
}

public class PermutationImportanceTests
{
    [Fact]
    public void Compute_OnlyTheFeatureTheScoreReads_Matters()
    {
        var rows = Enumerable.Range(0, 40).Select(i => new string?[] { (i % 2).ToString(CultureInfo.InvariantCulture), "same", (i % 3).ToString(CultureInfo.InvariantCulture) }).ToList();
        var expected = rows.Select(r => r[0]).ToList();

        var importance = PermutationImportance.Compute(["signal", "constant", "noise"], FeatureSource.FromCells(rows), subset => Enumerable.Range(0, subset.Count).Select(i => subset.Text(0, i) == expected[i] ? 1.0 : 0.0).Average(), higherIsBetter: true, seed: 1);

        Assert.Equal("signal", importance[0].Feature);
        Assert.True(importance[0].Drop > 0.2, $"drop {importance[0].Drop}");
        Assert.Equal(0, importance.Single(i => i.Feature == "constant").Drop);
        Assert.Equal(0, importance.Single(i => i.Feature == "noise").Drop);
    }

    [Fact]
    public void Compute_OnlySomeFeatures_PermutesAndReportsJustThose()
    {
        var rows = Enumerable.Range(0, 40).Select(i => new string?[] { (i % 2).ToString(CultureInfo.InvariantCulture), "same", (i % 3).ToString(CultureInfo.InvariantCulture) }).ToList();
        var expected = rows.Select(r => r[0]).ToList();
        var scored = 0;

        var importance = PermutationImportance.Compute(["signal", "constant", "noise"], FeatureSource.FromCells(rows), subset => { scored++; return Enumerable.Range(0, subset.Count).Select(i => subset.Text(0, i) == expected[i] ? 1.0 : 0.0).Average(); }, higherIsBetter: true, seed: 1, only: [0, 2]);

        Assert.Equal(["signal", "noise"], importance.Select(i => i.Feature));
        Assert.Equal(1 + (2 * 3), scored);
    }

    [Fact]
    public void MutualInformations_RankTheInformativeFeatureFirst()
    {
        var labels = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? "a" : "b").ToList();
        var candidates = new[]
        {
            new SelectionCandidate("noise", [.. Enumerable.Range(0, 200).Select(i => (float)((i * 7919) % 13))], null),
            new SelectionCandidate("signal", null, [.. labels.Select(l => l == "a" ? "x" : "y")]),
        };

        var information = FeatureSelection.MutualInformations(candidates, labels, numericLabel: false);

        Assert.True(information[1] > 0.6 && information[0] < 0.05, $"{information[0]} {information[1]}");
    }
}

public class DateFeatureTests
{
    [Fact]
    public void Inputs_DateColumn_GivesPartsWeekendAndCyclicEncodings()
    {
        var schema = new DatasetSchema(1, new ColumnSchema("y", ColumnKind.Categorical, 0, 2, null, null, null), MlTask.BinaryClassification, ["a", "b"], "b",
            [new ColumnSchema("when", ColumnKind.DateTime, 0, 1, null, null, null)]);

        var values = MlLifecycle.Core.Training.FeatureRows.Inputs(schema).ToDictionary(c => c.Name, c => c.Number!(FeatureSource.FromCells([["2024-12-29 06:00"]]), 0)); // a Sunday

        Assert.Equal(2024, values["f0_year"]);
        Assert.Equal(20086.25f, values["f0_days"]);
        Assert.Equal($"{schema.Features[0].Name}:month_sin", MlLifecycle.Core.Training.FeatureRows.Describe(schema, "f0_month_sin"));       // 19723 days to 2024-01-01, + 363, + 6 h
        Assert.Equal(1, values["f0_weekend"]);
        Assert.Equal(-0.5, values["f0_month_sin"], 5);        // sin(2π · 11/12)
        Assert.Equal(Math.Sqrt(3) / 2, values["f0_month_cos"], 5);
        Assert.Equal(0, values["f0_dayofweek_sin"], 5);       // Sunday = 0
        Assert.Equal(1, values["f0_hour_sin"], 5);            // 6 h = a quarter of the day
        Assert.Equal(0, values["f0_hour_cos"], 5);
    }
}

public class DerivedFeatureTests
{
    private static readonly ColumnTable Table = ColumnTable.FromRows(
        ["a", "b", "c", "y"],
        Enumerable.Range(0, 60).Select(i => new string?[] { (i % 7 + 1).ToString(CultureInfo.InvariantCulture), i % 5 == 0 ? "0" : (i % 4).ToString(CultureInfo.InvariantCulture), i % 2 == 0 ? "x" : "z", (i % 7) * (i % 4) > 6 ? "hi" : "lo" }).ToList());

    private static DatasetSchema Schema(FeaturesSpec features)
    {
        var schema = SchemaInference.Infer(Table, "y");
        return schema with { Derived = DerivedFeature.From(features, schema) };
    }

    [Fact]
    public void Inputs_DeclaredFeatures_ComputeFromRawCells()
    {
        var schema = Schema(new FeaturesSpec
        {
            Interactions = [new InteractionSpec(["a", "b"]), new InteractionSpec(["a", "b"], InteractionOp.Ratio)],
            Log = ["a"],
            Buckets = new() { ["a"] = [2, 5] },
        });

        var inputs = MlLifecycle.Core.Training.FeatureRows.Inputs(schema).Where(c => c.Name.StartsWith('d'))
            .ToDictionary(c => c.Name, c => (Func<string?[], float>)(cells => c.Number!(FeatureSource.FromCells([cells]), 0)));

        Assert.Equal(12f, inputs["d0_product"](["3", "4", "x"]));
        Assert.Equal(0.75f, inputs["d1_ratio"](["3", "4", "x"]));
        Assert.True(float.IsNaN(inputs["d1_ratio"](["3", "0", "x"])));
        Assert.Equal(MathF.Log(4), inputs["d2_log"](["3", "4", "x"]), 5);
        Assert.Equal([0f, 1f, 2f], new[] { "1", "2", "9" }.Select(v => inputs["d3_bucket"]([v, "1", "x"])));
    }

    [Fact]
    public void From_NonNumericColumn_IsInvalidSpec()
    {
        var ex = Assert.Throws<DataValidationException>(() => Schema(new FeaturesSpec { Log = ["c"] }));

        Assert.Equal(AnomalyCodes.InvalidSpec, ex.Code);
    }

    [Fact]
    public void SavedModel_WithDeclaredFeatures_PredictsLikeTheTrainedOne()
    {
        var schema = Schema(new FeaturesSpec { Interactions = [new InteractionSpec(["a", "b"])] });
        var (rows, labels) = TestRows.Cells(Table, schema);
        var model = MlLifecycle.Core.Training.TrainedModel.Train(schema, rows, labels, seed: 3);
        using var zip = new MemoryStream();
        model.Save(zip);
        zip.Position = 0;

        var loaded = MlLifecycle.Core.Training.TrainedModel.Load(zip, schema, model.Trainer);

        Assert.Equal(model.Predict(rows).Select(p => p.Probabilities!["hi"]), loaded.Predict(rows).Select(p => p.Probabilities!["hi"]));
    }
}
