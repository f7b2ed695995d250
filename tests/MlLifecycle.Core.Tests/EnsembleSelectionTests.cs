using System.Globalization;
using System.IO.Compression;
using System.Text;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class EnsembleSelectionTests
{
    private static readonly DatasetSchema Binary = SchemaInference.Infer(
        ColumnTable.FromRows(["x", "y"], [.. Enumerable.Range(0, 20).Select(i => new string?[] { $"{i}", i % 4 == 0 ? "pos" : "neg" })]), "y");

    /// <summary>Regression rows whose truth is the mean of candidates A and B (A = y + e, B = y − e), and a noisy C.</summary>
    private static (double[][][] Candidates, Func<int[], double[][], double> Score) Regression(int rows, int seed)
    {
        var random = new Random(seed);
        var y = Enumerable.Range(0, rows).Select(_ => random.NextDouble() * 10).ToArray();
        var e = Enumerable.Range(0, rows).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[][][] candidates =
        [
            [.. y.Select((v, i) => new[] { v + e[i] })],
            [.. y.Select((v, i) => new[] { v - e[i] })],
            [.. y.Select(v => new[] { v + (random.NextDouble() - 0.5) * 4 })],
        ];
        return (candidates, (subset, vectors) => -Math.Sqrt(subset.Select((row, k) => Math.Pow(vectors[k][0] - y[row], 2)).Average()));
    }

    [Fact]
    public void Greedy_TwoCandidatesWithOppositeErrors_AveragesThemEquallyAndLeavesTheNoisyOneOut()
    {
        var (candidates, score) = Regression(200, 1);

        var counts = EnsembleSelection.Greedy(candidates, [.. Enumerable.Range(0, 200)], score);

        Assert.Equal([1, 1, 0], counts);
        Assert.Equal(0, score([.. Enumerable.Range(0, 200)], EnsembleSelection.Blend(candidates, counts, [.. Enumerable.Range(0, 200)])), 12);
    }

    [Fact]
    public void Select_EnsembleThatCrossValidatesBetter_IsChosenWithItsWeights()
    {
        var (candidates, score) = Regression(200, 2);

        var choice = EnsembleSelection.Select(candidates, score, EnsembleSelection.RandomGroups(200, EnsembleSelection.Groups, seed: 5));

        Assert.True(choice.Chosen);
        Assert.Equal([0.5, 0.5, 0], choice.Weights);
        Assert.Equal(0, choice.EnsembleScore, 12);
        Assert.True(choice.SingleScore < -0.2, $"one candidate alone has an RMSE of about 0.29, got {-choice.SingleScore}");
    }

    [Fact]
    public void Select_OneCandidateIsTheTruth_KeepsItAloneAndIsNotChosen()
    {
        var (candidates, score) = Regression(200, 3);
        var y = candidates[0].Select((v, i) => new[] { (v[0] + candidates[1][i][0]) / 2 }).ToArray();

        var choice = EnsembleSelection.Select([y, candidates[2]], score, EnsembleSelection.RandomGroups(200, EnsembleSelection.Groups, seed: 5));

        Assert.False(choice.Chosen);
        Assert.Equal([1.0, 0], choice.Weights);
        Assert.Equal(0, choice.BestSingle);
    }

    /// <summary>
    /// Two binary classifiers, each 70 % accurate, wrong on different rows: A confidently, B weakly. Their average is
    /// right on every row, so greedy takes one of each and stops improving.
    /// </summary>
    [Fact]
    public void Greedy_ClassifiersWrongOnDifferentRows_AverageProbabilitiesIsRightEverywhere()
    {
        string[] actual = [.. Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? "pos" : "neg")];
        double[] Vector(int row, double pCorrect) => actual[row] == "pos" ? [1 - pCorrect, pCorrect] : [pCorrect, 1 - pCorrect];
        double[][] a = [.. Enumerable.Range(0, 10).Select(i => Vector(i, i < 7 ? 0.6 : 0.1))];
        double[][] b = [.. Enumerable.Range(0, 10).Select(i => Vector(i, i < 3 ? 0.45 : 0.95))];
        var score = EnsembleSelection.Scorer(Binary, actual, "accuracy");
        int[] all = [.. Enumerable.Range(0, 10)];

        var counts = EnsembleSelection.Greedy([a, b], all, score);

        Assert.Equal((0.7, 0.7), (score(all, a), score(all, b)));
        Assert.Equal([1, 1], counts);
        Assert.Equal(1.0, score(all, EnsembleSelection.Blend([a, b], counts, all)));
    }

    [Fact]
    public void Greedy_ManyUsefulCandidates_KeepsAtMostMaxMembers()
    {
        var random = new Random(4);
        var y = Enumerable.Range(0, 300).Select(_ => random.NextDouble() * 10).ToArray();
        // Eight candidates with independent errors: averaging more of them always helps, but each costs a scoring.
        var candidates = Enumerable.Range(0, 8).Select(_ => y.Select(v => new[] { v + random.NextDouble() - 0.5 }).ToArray()).ToList();
        Func<int[], double[][], double> score = (rows, vectors) => -rows.Select((row, k) => Math.Abs(vectors[k][0] - y[row])).Average();

        var counts = EnsembleSelection.Greedy(candidates, [.. Enumerable.Range(0, 300)], score);

        Assert.Equal(EnsembleSelection.MaxMembers, counts.Count(c => c > 0));
    }

    [Fact]
    public void Scorer_LowerIsBetterMetric_IsNegated_AndUndefinedIsMinusInfinity()
    {
        string[] actual = ["pos", "neg", "pos"];
        double[][] vectors = [[0.2, 0.8], [0.9, 0.1], [0.4, 0.6]];

        var logLoss = EnsembleSelection.Scorer(Binary, actual, "logLoss")([0, 1, 2], vectors);
        var auc = EnsembleSelection.Scorer(Binary, actual, "auc")([0, 2], [vectors[0], vectors[2]]);

        Assert.Equal((Math.Log(0.8) + Math.Log(0.9) + Math.Log(0.6)) / 3, logLoss, 12);
        Assert.Equal(double.NegativeInfinity, auc);
    }

    [Fact]
    public void PredictionVectors_RoundTripAClassificationPrediction_AndPickTheMostProbableClass()
    {
        var prediction = new Prediction("pos", null, new Dictionary<string, double> { ["neg"] = 0.3, ["pos"] = 0.7 });

        var vector = PredictionVectors.Of(Binary, prediction);
        var back = PredictionVectors.ToPrediction(Binary, [0.55, 0.45]);

        Assert.Equal([0.3, 0.7], vector);
        Assert.Equal("neg", back.Label);
        Assert.Equal(0.45, back.Probabilities!["pos"]);
        Assert.Equal(2.5, PredictionVectors.ToPrediction(Binary with { Task = MlTask.Regression }, [2.5]).Score);
    }

    /// <summary>An ensemble predicts the weighted average of its members' probabilities, and saves and loads as one model.</summary>
    [Fact]
    public void TrainedModelEnsemble_PredictsTheWeightedAverage_AndRoundTripsThroughItsZip()
    {
        var random = new Random(6);
        var data = ColumnTable.FromRows(["x1", "color", "y"], [.. Enumerable.Range(0, 300).Select(_ =>
        {
            var x1 = random.NextDouble() * 10;
            var color = random.Next(3) switch { 0 => "red", 1 => "green", _ => "blue" };
            return new string?[] { x1.ToString("F3", CultureInfo.InvariantCulture), color, x1 + (color == "red" ? 2 : 0) + random.NextDouble() * 3 > 6.5 ? "pos" : "neg" };
        })]);
        var schema = SchemaInference.Infer(data, "y");
        var (rows, labels) = TestRows.Cells(data, schema);
        var tree = TrainedModel.Train(schema, rows, labels, seed: 1, trainer: Trainers.LightGbm);
        var linear = TrainedModel.Train(schema, rows, labels, seed: 1, trainer: Trainers.Linear);

        var ensemble = TrainedModel.Ensemble([(tree, 0.75), (linear, 0.25)]);
        using var zip = new MemoryStream();
        ensemble.Save(zip);
        zip.Position = 0;
        var loaded = TrainedModel.Load(zip, schema, "whatever the registry says");

        var expected = tree.Predict(rows).Zip(linear.Predict(rows), (t, l) => 0.75 * t.Probabilities!["pos"] + 0.25 * l.Probabilities!["pos"]).ToList();
        var predictions = ensemble.Predict(rows);
        Assert.Equal(expected, predictions.Select(p => p.Probabilities!["pos"]), (x, y) => Math.Abs(x - y) < 1e-12);
        Assert.Equal(predictions.Select(p => p.Probabilities!["pos"] >= 0.5 ? "pos" : "neg"), predictions.Select(p => p.Label));
        Assert.Equal((TrainedModel.EnsembleTrainer, TrainedModel.EnsembleTrainer), (ensemble.Trainer, loaded.Trainer));
        Assert.Equal([new EnsembleMember(Trainers.LightGbm, 0.75), new EnsembleMember(Trainers.Linear, 0.25)], loaded.Members);
        Assert.Equal(predictions, loaded.Predict(rows), (x, y) => x.Label == y.Label && Math.Abs(x.Probabilities!["pos"] - y.Probabilities!["pos"]) < 1e-6);
        Assert.StartsWith("ensemble: LightGbm × 0.75, Linear × 0.25", ensemble.Details.Transforms[0], StringComparison.Ordinal);
    }

    /// <summary>A saved ensemble is read from storage: members, weights and nesting are checked before any member loads.</summary>
    [Theory]
    [InlineData("""[{"File":"member-0.zip","Trainer":"LightGbm","Weight":0.7},{"File":"member-1.zip","Trainer":"Linear","Weight":0.7}]""")]
    [InlineData("""[{"File":"member-0.zip","Trainer":"LightGbm","Weight":"NaN"}]""")]
    [InlineData("""[]""")]
    [InlineData("""[{"File":"missing.zip","Trainer":"LightGbm","Weight":1}]""")]
    [InlineData("""[{"File":"nested.zip","Trainer":"Ensemble","Weight":1}]""")]
    public void Load_MalformedEnsemble_IsRefusedWithAClearError(string members)
    {
        var data = ColumnTable.FromRows(["x", "y"], [.. Enumerable.Range(0, 60).Select(i => new string?[] { $"{i}", i % 3 == 0 ? "pos" : "neg" })]);
        var schema = SchemaInference.Infer(data, "y");
        var (rows, labels) = TestRows.Cells(data, schema);
        using var single = new MemoryStream();
        TrainedModel.Train(schema, rows, labels, seed: 1).Save(single);
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, TrainedModel.EnsembleEntry, Encoding.UTF8.GetBytes(members));
            Add(archive, "member-0.zip", single.ToArray());
            Add(archive, "member-1.zip", single.ToArray());
            using var nested = new MemoryStream();
            using (var inner = new ZipArchive(nested, ZipArchiveMode.Create, leaveOpen: true))
            {
                Add(inner, TrainedModel.EnsembleEntry, Encoding.UTF8.GetBytes("""[{"File":"member-0.zip","Trainer":"LightGbm","Weight":1}]"""));
                Add(inner, "member-0.zip", single.ToArray());
            }

            Add(archive, "nested.zip", nested.ToArray());
        }

        zip.Position = 0;
        var error = Assert.ThrowsAny<Exception>(() => TrainedModel.Load(zip, schema, "Ensemble"));

        Assert.True(error is InvalidDataException or FormatException or InvalidOperationException or System.Text.Json.JsonException, error.ToString());
    }

    [Fact]
    public void TrainedModelEnsemble_Multiclass_AveragesEachClassInSchemaOrder()
    {
        var random = new Random(8);
        var data = ColumnTable.FromRows(["x1", "x2", "y"], [.. Enumerable.Range(0, 300).Select(_ =>
        {
            double x1 = random.NextDouble() * 3, x2 = random.NextDouble();
            return new string?[] { x1.ToString("F3", CultureInfo.InvariantCulture), x2.ToString("F3", CultureInfo.InvariantCulture), x1 < 1 ? "a" : x1 < 2 ? "b" : "c" };
        })]);
        var schema = SchemaInference.Infer(data, "y");
        var (rows, labels) = TestRows.Cells(data, schema);
        var tree = TrainedModel.Train(schema, rows, labels, seed: 1, trainer: Trainers.FastTree);
        var linear = TrainedModel.Train(schema, rows, labels, seed: 1, trainer: Trainers.Linear);

        var predictions = TrainedModel.Ensemble([(tree, 0.5), (linear, 0.5)]).Predict(rows);

        var expected = tree.Predict(rows).Zip(linear.Predict(rows), (t, l) => schema.Classes!.ToDictionary(c => c, c => (t.Probabilities![c] + l.Probabilities![c]) / 2)).ToList();
        Assert.Equal(["a", "b", "c"], schema.Classes);
        Assert.All(predictions.Zip(expected), pair => Assert.All(schema.Classes!, c => Assert.Equal(pair.Second[c], pair.First.Probabilities![c], 12)));
        Assert.Equal(expected.Select(e => e.MaxBy(p => p.Value).Key), predictions.Select(p => p.Label));
    }

    [Fact]
    public void Select_MetricUndefinedOnAGroup_LeavesThatGroupOut()
    {
        // AUC is undefined on a group of one class: its rows say nothing, and the other groups still decide.
        string[] actual = [.. Enumerable.Range(0, 40).Select(i => i < 10 || i % 2 == 0 ? "pos" : "neg")];
        var random = new Random(9);
        double[][] Noisy(double noise) => [.. actual.Select(a =>
        {
            var p = (a == "pos" ? 0.7 : 0.3) + (random.NextDouble() - 0.5) * noise;
            return new[] { 1 - p, p };
        })];
        int[] groups = [.. Enumerable.Range(0, 40).Select(i => i < 10 ? 0 : 1 + i % 3)];

        var choice = EnsembleSelection.Select([Noisy(1.2), Noisy(1.2)], EnsembleSelection.Scorer(Binary, actual, "auc"), groups);

        Assert.True(double.IsFinite(choice.EnsembleScore) && double.IsFinite(choice.SingleScore), $"{choice.EnsembleScore} vs {choice.SingleScore}");
    }

    private static void Add(ZipArchive archive, string name, byte[] content)
    {
        using var stream = archive.CreateEntry(name).Open();
        stream.Write(content);
    }
}
