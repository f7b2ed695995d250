using System.Globalization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class TrainedModelTests
{
    /// <summary>y = "pos" when x1 + (color == red ? 2 : 0) > 5, with some missing x1.</summary>
    private static ColumnTable Separable(int rows, int seed)
    {
        var random = new Random(seed);
        var data = new List<string?[]>();
        for (var i = 0; i < rows; i++)
        {
            var x1 = random.NextDouble() * 10;
            var color = random.Next(3) switch { 0 => "red", 1 => "green", _ => "blue" };
            var noise = random.NextDouble().ToString("F3", CultureInfo.InvariantCulture);
            var y = x1 + (color == "red" ? 2 : 0) > 5 ? "pos" : "neg";
            data.Add([i % 17 == 0 ? null : x1.ToString("F3", CultureInfo.InvariantCulture), color, noise, y]);
        }

        return ColumnTable.FromRows(["x1", "color", "noise", "y"], data);
    }

    /// <summary>
    /// Folds train on one thread while a final fit asks for all cores, in one process. Before LightGBM's thread count
    /// was fixed, this segfaulted the process on credit-g within about 25 trainings (OpenMP's thread count is process-wide).
    /// </summary>
    [Fact]
    public void LightGbm_TrainingsSideBySideAskingForDifferentThreads_AllFinishAlike()
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "data", "credit-g.csv"));
        var data = TableReader.ReadCsv(file);
        var schema = SchemaInference.Infer(data, "class");
        var (rows, labels) = TestRows.Cells(data, schema);
        List<double> Positive(int? threads) => TrainedModel.Train(schema, rows, labels, seed: 3, threads: threads).Predict(rows).Select(p => p.Probabilities![schema.PositiveClass!]).ToList();
        var expected = Positive(1);

        var predictions = new List<double>[80];
        Parallel.For(0, predictions.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => predictions[i] = Positive(i % 2 == 0 ? 1 : null));

        Assert.All(predictions, p => Assert.Equal(expected, p));
    }

    /// <summary>
    /// Free text (500 distinct three-word notes) and 100 categories: standardized, their rare indicators made online
    /// gradient descent diverge on every split; scaled by their largest absolute value it fits.
    /// </summary>
    [Fact]
    public void LinearRegression_TextAndManyCategories_FitsInsteadOfDiverging()
    {
        var random = new Random(1);
        var vocabulary = Enumerable.Range(0, 300).Select(_ => new string(Enumerable.Range(0, 5).Select(_ => (char)('a' + random.Next(26))).ToArray())).ToArray();
        var notes = Enumerable.Range(0, 500).Select(_ => string.Join(' ', random.GetItems(vocabulary, 3))).ToArray();
        var rows = Enumerable.Range(0, 800).Select(i =>
        {
            double x = random.NextDouble() * 10, city = random.Next(100);
            return new string?[] { notes[i % notes.Length], $"c{city}", x.ToString("F3", CultureInfo.InvariantCulture), (2 * x + city % 3 + random.NextDouble()).ToString("F3", CultureInfo.InvariantCulture) };
        }).ToList();
        var table = ColumnTable.FromRows(["note", "city", "x", "y"], rows);
        var schema = SchemaInference.Infer(table, "y");
        var (features, labels) = TestRows.Cells(table, schema);

        var model = TrainedModel.Train(schema, features[..600], labels[..600], seed: 1, trainer: Trainers.Linear);
        var metrics = Metrics.For(schema, labels[600..], model.Predict(features[600..]));

        Assert.Equal([ColumnKind.Text, ColumnKind.Categorical], schema.Features.Take(2).Select(c => c.Kind));
        Assert.True(metrics["r2"] > 0.85, $"r2 {metrics["r2"]}");
    }

    /// <summary>
    /// 800 documents of 20 words drawn from 5,000 make about 30,000 word and character n-grams; only "alpha" (in half
    /// of them) tells the class. The text keeps <see cref="TrainedModel.TextSlots"/> n-grams, chosen by mutual
    /// information with the label, and those still hold the one that matters, for trees and the linear model.
    /// </summary>
    [Theory]
    [InlineData(Trainers.LightGbm)]
    [InlineData(Trainers.Linear)]
    public void Train_TextWithTensOfThousandsOfNgrams_KeepsTheOneThatPredicts(string trainer)
    {
        var random = new Random(3);
        var vocabulary = Enumerable.Range(0, 5000).Select(_ => new string(Enumerable.Range(0, 6).Select(_ => (char)('b' + random.Next(25))).ToArray())).ToArray();
        var rows = Enumerable.Range(0, 800).Select(i =>
        {
            var words = random.GetItems(vocabulary, 20);
            words[random.Next(20)] = i % 2 == 0 ? "alpha" : words[0];
            return new string?[] { string.Join(' ', words), i % 2 == 0 ? "yes" : "no" };
        }).ToList();
        var schema = SchemaInference.Infer(ColumnTable.FromRows(["note", "y"], rows), "y");
        var (features, labels) = TestRows.Cells(ColumnTable.FromRows(["note", "y"], rows), schema);

        var model = TrainedModel.Train(schema, features[..600], labels[..600], seed: 1, trainer: trainer);
        var metrics = Metrics.For(schema, labels[600..], model.Predict(features[600..]));

        Assert.Equal(ColumnKind.Text, schema.Features[0].Kind);
        Assert.Contains(model.Details.Transforms, t => t.Contains($"the {TrainedModel.TextSlots} n-grams with the most mutual information", StringComparison.Ordinal));
        Assert.True(metrics["accuracy"] > 0.95, $"accuracy {metrics["accuracy"]}");
    }

    [Fact]
    public void Train_SeparableBinary_ScoresWellOnFreshRows()
    {
        var train = Separable(400, 1);
        var test = Separable(200, 2);
        var schema = SchemaInference.Infer(train, "y");
        var (rows, labels) = TestRows.Cells(train, schema);
        var (testRows, testLabels) = TestRows.Cells(test, schema);

        var model = TrainedModel.Train(schema, rows, labels, seed: 42);
        var predictions = model.Predict(testRows);
        var metrics = Metrics.Classification(testLabels, predictions.Select(p => p.Label).ToList(), predictions.Select(p => p.Probabilities!).ToList(), schema.Classes!, schema.PositiveClass);

        Assert.True(metrics["accuracy"] > 0.9, $"accuracy {metrics["accuracy"]}");
        Assert.True(metrics["auc"] > 0.95, $"auc {metrics["auc"]}");
        Assert.All(predictions, p => Assert.Equal(1.0, p.Probabilities!.Values.Sum(), 6));
    }

    [Fact]
    public void SaveAndLoad_GivesIdenticalPredictions()
    {
        var data = Separable(300, 3);
        var schema = SchemaInference.Infer(data, "y");
        var (rows, labels) = TestRows.Cells(data, schema);
        var model = TrainedModel.Train(schema, rows, labels, seed: 5);
        using var zip = new MemoryStream();
        model.Save(zip);
        zip.Position = 0;

        var loaded = TrainedModel.Load(zip, schema, model.Trainer);

        Assert.Equal(model.Predict(rows), loaded.Predict(rows), new PredictionComparer());
    }

    /// <summary>Reproducible artifacts: the same data and seed train a model whose saved bytes are the same, a second later too.</summary>
    [Theory]
    [InlineData(Trainers.LightGbm)]
    [InlineData(Trainers.Linear)]
    public void TrainTwiceWithTheSameSeed_SavesTheSameBytes(string trainer)
    {
        var data = Separable(300, 4);
        var schema = SchemaInference.Infer(data, "y");
        var (rows, labels) = TestRows.Cells(data, schema);
        byte[] Saved()
        {
            using var zip = new MemoryStream();
            TrainedModel.Train(schema, rows, labels, seed: 9, trainer: trainer).Save(zip);
            return zip.ToArray();
        }

        var first = Saved();
        Thread.Sleep(2100); // zip entry times have a 2 s resolution
        var second = Saved();

        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(first)), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(second)));
    }

    /// <summary>
    /// The pooled row scorer (no data view per call) gives exactly ML.NET's data-view answers, for each task, with
    /// missing cells, categories unseen in training and several threads sharing the pool, one row or many per call.
    /// </summary>
    [Theory]
    [InlineData("binary")]
    [InlineData("multiclass")]
    [InlineData("regression")]
    public void PredictOne_EveryTask_EqualsBatchPredictionsUnderConcurrency(string task)
    {
        var random = new Random(21);
        var rows = Enumerable.Range(0, 400).Select(i =>
        {
            var x1 = random.NextDouble() * 10;
            var color = random.Next(4) switch { 0 => "red", 1 => "green", 2 => "blue", _ => "teal" };
            var when = new DateTime(2024, 1, 1).AddDays(random.Next(700)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var y = x1 + (color == "red" ? 2 : 0);
            var target = task switch
            {
                "binary" => y > 5 ? "pos" : "neg",
                "multiclass" => y < 4 ? "low" : y < 8 ? "mid" : "high",
                _ => y.ToString("F3", CultureInfo.InvariantCulture),
            };
            return new string?[] { i % 13 == 0 ? null : x1.ToString("F3", CultureInfo.InvariantCulture), color, when, target };
        }).ToList();
        var data = ColumnTable.FromRows(["x1", "color", "when", "target"], rows);
        var label = "target";
        var schema = SchemaInference.Infer(data, label);
        var (features, labels) = TestRows.Cells(data, schema);
        var model = TrainedModel.Train(schema, features[..300], labels[..300], seed: 4);
        var fresh = features[300..].Append(features[300].Select((c, i) => i == 0 ? null : c).ToArray()).Append(features[301].Select((c, i) => schema.Features[i].Kind == ColumnKind.Categorical ? "never-seen" : c).ToArray()).ToList();

        var batch = model.PredictThroughDataView(fresh);
        var single = new Prediction[fresh.Count];
        Parallel.For(0, fresh.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => single[i] = model.PredictOne(fresh[i]));

        Assert.Equal(batch, single, new PredictionComparer());
        Assert.Equal(batch, model.Predict(fresh), new PredictionComparer());
        Assert.Equal(102, batch.Count);
        Assert.True(batch.Select(p => p.Label ?? p.Score!.Value.ToString(CultureInfo.InvariantCulture)).Distinct().Count() > 1, "the model answers more than one thing");
    }

    [Fact]
    public void Train_SameSeed_SamePredictions()
    {
        var data = Separable(300, 4);
        var schema = SchemaInference.Infer(data, "y");
        var (rows, labels) = TestRows.Cells(data, schema);

        var a = TrainedModel.Train(schema, rows, labels, seed: 9).Predict(rows);
        var b = TrainedModel.Train(schema, rows, labels, seed: 9).Predict(rows);

        Assert.Equal(a, b, new PredictionComparer());
    }

    [Fact]
    public void Train_Regression_LearnsLinearTarget()
    {
        var random = new Random(6);
        var rows = Enumerable.Range(0, 500).Select(_ =>
        {
            var x = random.NextDouble() * 10;
            return new string?[] { x.ToString("R", CultureInfo.InvariantCulture), (3 * x + 1).ToString("R", CultureInfo.InvariantCulture) };
        }).ToList();
        var table = ColumnTable.FromRows(["x", "y"], rows);
        var schema = SchemaInference.Infer(table, "y");
        var (features, labels) = TestRows.Cells(table, schema);

        var predictions = TrainedModel.Train(schema, features[..400], labels[..400], seed: 1).Predict(features[400..]);
        var metrics = Metrics.Regression(labels[400..].Select(double.Parse).ToList(), predictions.Select(p => p.Score!.Value).ToList());

        Assert.Equal(MlTask.Regression, schema.Task);
        Assert.True(metrics["r2"] > 0.98, $"r2 {metrics["r2"]}");
    }

    [Fact]
    public void Train_Multiclass_PredictsClassNamesWithProbabilities()
    {
        var random = new Random(8);
        var rows = Enumerable.Range(0, 450).Select(i =>
        {
            var cls = (i % 3) switch { 0 => "low", 1 => "mid", _ => "high" };
            var x = (i % 3) * 10 + random.NextDouble() * 5;
            return new string?[] { x.ToString("R", CultureInfo.InvariantCulture), cls };
        }).ToList();
        var table = ColumnTable.FromRows(["x", "band"], rows);
        var schema = SchemaInference.Infer(table, "band");
        var (features, labels) = TestRows.Cells(table, schema);

        var predictions = TrainedModel.Train(schema, features, labels, seed: 2).Predict([["1.0"], ["12.5"], ["24"]]);

        Assert.Equal(["low", "mid", "high"], predictions.Select(p => p.Label));
        Assert.All(predictions, p => Assert.Equal(["high", "low", "mid"], p.Probabilities!.Keys.Order()));
    }

    /// <summary>
    /// A class of 4 rows among 4 000, marked by a category no other row has: trees must be able to give it a leaf of its
    /// own (rows per leaf bounded by half the rarest class), as XGBoost does. With 20 rows per leaf FastTree never predicted it.
    /// </summary>
    [Theory]
    [InlineData(Trainers.LightGbm)]
    [InlineData(Trainers.FastTree)]
    public void Train_ClassOfFourRowsAmongThousands_IsPredicted(string trainer)
    {
        var random = new Random(4);
        var rows = Enumerable.Range(0, 4000).Select(i =>
        {
            var x = random.NextDouble() * 10;
            return new string?[] { x.ToString("R", CultureInfo.InvariantCulture), random.Next(3) == 0 ? "plain" : "common", x < 5 ? "a" : "b" };
        }).Concat(Enumerable.Range(0, 4).Select(i => new string?[] { (2 + (i * 2)).ToString(CultureInfo.InvariantCulture), "odd", "rare" })).ToList();
        var table = ColumnTable.FromRows(["x", "kind", "y"], rows);
        var schema = SchemaInference.Infer(table, "y");
        var (features, labels) = TestRows.Cells(table, schema);

        var predictions = TrainedModel.Train(schema, features, labels, seed: 2, trainer: trainer).Predict([["5", "odd"], ["2", "common"], ["8", "plain"]]);

        Assert.Equal(["rare", "a", "b"], predictions.Select(p => p.Label));
        Assert.Equal(20, Trainers.MinimumRowsPerLeaf(4000, null));
        Assert.Equal(2, Trainers.MinimumRowsPerLeaf(4004, 4));
        Assert.Equal(1, Trainers.MinimumRowsPerLeaf(4004, 2));
        Assert.Equal(3, Trainers.MinimumRowsPerLeaf(300, 100));
        Assert.Equal(0, Trainers.LightGbmL2(4004, 4));
        Assert.Equal(1, Trainers.LightGbmL2(4000, 1500));
        Assert.Equal(1, Trainers.LightGbmL2(4000, null));
    }

    /// <summary>
    /// A class that is 30 % of the rows above x = 8 and 2 % below is never the likelier class, so an unweighted model
    /// never predicts it; weighted to balance (power 1, weight ≈ 12×) it is the likelier class above 8 and still not below.
    /// </summary>
    [Theory]
    [InlineData(Trainers.LightGbm)]
    [InlineData(Trainers.Linear)]
    public void Train_WithClassWeights_PredictsTheRareClassWhereItIsLikeliestAfterWeighting(string trainer)
    {
        var random = new Random(6);
        var rows = Enumerable.Range(0, 3000).Select(_ =>
        {
            var x = random.NextDouble() * 10;
            var rare = random.NextDouble() < (x > 8 ? 0.3 : 0.02);
            return new string?[] { x.ToString("R", CultureInfo.InvariantCulture), rare ? "rare" : "common" };
        }).ToList();
        var table = ColumnTable.FromRows(["x", "y"], rows);
        var schema = SchemaInference.Infer(table, "y");
        var (features, labels) = TestRows.Cells(table, schema);
        string?[][] probes = [["9.5"], ["2"]];

        var plain = TrainedModel.Train(schema, features, labels, seed: 3, trainer: trainer).Predict(probes);
        var weighted = TrainedModel.Train(schema, features, labels, seed: 3, trainer: trainer, hyperparameters: new Dictionary<string, double> { [Trainers.ClassWeightPower] = 1 }).Predict(probes);

        Assert.Equal(["common", "common"], plain.Select(p => p.Label));
        Assert.Equal(["rare", "common"], weighted.Select(p => p.Label));
        var weights = TrainedModel.ClassWeights(schema, labels, 1)!;
        var rareRows = labels.Count(l => l == "rare");
        Assert.Equal((double)(labels.Count - rareRows) / rareRows, weights["rare"] / weights["common"], 4);
        Assert.Equal(labels.Count, labels.Sum(l => (double)weights[l]), 1);
        Assert.Null(TrainedModel.ClassWeights(schema, labels, 0));
        Assert.Equal(Math.Sqrt(weights["rare"] / weights["common"]), TrainedModel.ClassWeights(schema, labels, 0.5)!["rare"] / TrainedModel.ClassWeights(schema, labels, 0.5)!["common"], 4);
    }

    [Theory]
    [InlineData(57, 50)]
    [InlineData(40_000, 50)]
    [InlineData(58_000, 34)]
    [InlineData(200_000, 10)]
    [InlineData(5_000_000, 5)]
    public void LinearEpochs_AboutTwoMillionStepsBetweenFiveAndFiftyPasses(int rows, int epochs) =>
        Assert.Equal(epochs, Trainers.LinearEpochs(rows));

    [Fact]
    public void Train_LinearRegressionOnALargeTable_FitsTheLineInItsFewerPasses()
    {
        var random = new Random(9);
        var rows = Enumerable.Range(0, 120_000).Select(_ =>
        {
            var x = random.NextDouble() * 10;
            return new string?[] { x.ToString("R", CultureInfo.InvariantCulture), (3 * x + 1 + random.NextDouble() - 0.5).ToString("R", CultureInfo.InvariantCulture) };
        }).ToList();
        var table = ColumnTable.FromRows(["x", "y"], rows);
        var schema = SchemaInference.Infer(table, "y");
        var (features, labels) = TestRows.Cells(table, schema);

        var model = TrainedModel.Train(schema, features, labels, seed: 1, trainer: Trainers.Linear);

        Assert.Equal(16, Trainers.LinearEpochs(schema.Rows));
        Assert.Equal(1.0, model.Predict([["0"]])[0].Score!.Value, 0.2);
        Assert.Equal(28.0, model.Predict([["9"]])[0].Score!.Value, 0.2);
    }

    [Theory]
    [InlineData(Trainers.LightGbm)]
    [InlineData(Trainers.FastTree)]
    [InlineData(Trainers.FastForest)]
    [InlineData(Trainers.Linear)]
    public void Train_EveryTrainer_LearnsEveryTask(string trainer)
    {
        var binary = Separable(400, 11);
        var schema = SchemaInference.Infer(binary, "y");
        var (rows, labels) = TestRows.Cells(binary, schema);
        var binaryModel = TrainedModel.Train(schema, rows[..300], labels[..300], seed: 1, trainer: trainer, threads: 1);
        var binaryPredictions = binaryModel.Predict(rows[300..]);
        var accuracy = binaryPredictions.Zip(labels[300..]).Count(p => p.First.Label == p.Second) / 100.0;

        var random = new Random(12);
        var multiRows = Enumerable.Range(0, 300).Select(i => new string?[] { ((i % 3) * 10 + random.NextDouble() * 5).ToString("R", CultureInfo.InvariantCulture), ((i % 3) switch { 0 => "low", 1 => "mid", _ => "high" }) }).ToList();
        var multiTable = ColumnTable.FromRows(["x", "band"], multiRows);
        var multiSchema = SchemaInference.Infer(multiTable, "band");
        var (mx, my) = TestRows.Cells(multiTable, multiSchema);
        var multi = TrainedModel.Train(multiSchema, mx, my, seed: 1, trainer: trainer, threads: 1).Predict([["2"], ["12"], ["22"]]);

        var regRows = Enumerable.Range(0, 300).Select(i => new string?[] { (i / 30.0).ToString("R", CultureInfo.InvariantCulture), (2 * i / 30.0 + 1).ToString("R", CultureInfo.InvariantCulture) }).ToList();
        var regTable = ColumnTable.FromRows(["x", "y"], regRows);
        var regSchema = SchemaInference.Infer(regTable, "y");
        var (rx, ry) = TestRows.Cells(regTable, regSchema);
        var reg = TrainedModel.Train(regSchema, rx, ry, seed: 1, trainer: trainer, threads: 1).Predict([["5"]]);

        Assert.Equal(trainer, binaryModel.Trainer);
        Assert.True(accuracy > 0.8, $"{trainer} binary accuracy {accuracy}");
        Assert.All(binaryPredictions, p => Assert.Equal(1.0, p.Probabilities!.Values.Sum(), 6));
        Assert.Equal(["low", "mid", "high"], multi.Select(p => p.Label));
        Assert.All(multi, p => Assert.Equal(1.0, p.Probabilities!.Values.Sum(), 6));
        Assert.InRange(reg[0].Score!.Value, 9, 13);
    }

    private sealed class PredictionComparer : IEqualityComparer<Prediction>
    {
        public bool Equals(Prediction? x, Prediction? y) =>
            x!.Label == y!.Label && x.Score == y.Score &&
            (x.Probabilities is null ? y.Probabilities is null : x.Probabilities.All(kv => y.Probabilities![kv.Key] == kv.Value));

        public int GetHashCode(Prediction obj) => obj.Label?.GetHashCode(StringComparison.Ordinal) ?? 0;
    }

    [Fact]
    public void Train_MissingIndicator_LetsALinearModelUseMissingness()
    {
        // y = pos exactly when x is missing; present values are noise around the median that fills the gaps.
        var random = new Random(3);
        var rows = Enumerable.Range(0, 400).Select(i => new string?[] { i % 3 == 0 ? null : random.Next(100).ToString(CultureInfo.InvariantCulture) }).ToList();
        var labels = rows.Select(r => r[0] is null ? "pos" : "neg").ToList();
        var schema = SchemaInference.Infer(ColumnTable.FromRows(["x", "y"], rows.Select((r, i) => new[] { r[0], labels[i] }).ToList()), "y");

        double Accuracy(TrainedModel model) => model.Predict(rows[300..]).Select((p, i) => p.Label == labels[300 + i] ? 1.0 : 0).Average();
        var with = TrainedModel.Train(schema, rows[..300], labels[..300], 1, trainer: Trainers.Linear);
        var without = TrainedModel.Train(schema, rows[..300], labels[..300], 1, new MlLifecycle.Core.Spec.ProblemSpec { Features = new() { MissingIndicators = false } }, Trainers.Linear);

        Assert.Contains("f0_isna: 1 when f0 is missing, else 0", with.Details.Transforms);
        Assert.Equal(1.0, Accuracy(with));
        Assert.InRange(Accuracy(without), 0.5, 0.8); // about the share of present rows: missingness is invisible
    }

    [Theory]
    [InlineData(Trainers.LightGbm, false)]
    [InlineData(Trainers.Linear, true)]
    public void Train_CyclicDateEncodings_GoToTheLinearTrainerOnly(string trainer, bool cyclic)
    {
        var days = Enumerable.Range(0, 200).Select(d => new DateTime(2023, 1, 1).AddDays(d * 3)).ToList();
        var rows = days.Select(d => new string?[] { d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }).ToList();
        var labels = days.Select(d => d.Month is >= 4 and <= 9 ? "summer" : "winter").ToList();
        var schema = SchemaInference.Infer(ColumnTable.FromRows(["date", "season"], rows.Select((r, i) => new[] { r[0], labels[i] }).ToList()), "season");

        var model = TrainedModel.Train(schema, rows, labels, 1, trainer: trainer);

        Assert.Equal(cyclic, model.Details.Transforms.Any(t => t.StartsWith("f0_month_sin:", StringComparison.Ordinal)));
        Assert.Contains(model.Details.Transforms, t => t.StartsWith("f0_month:", StringComparison.Ordinal));
    }
}
