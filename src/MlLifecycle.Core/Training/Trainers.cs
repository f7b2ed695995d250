using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Training;

/// <summary>The candidate learning algorithms, per task, with defaults that suit small and large tables.</summary>
public static class Trainers
{
    public const string LightGbm = nameof(LightGbm);
    public const string FastTree = nameof(FastTree);
    public const string FastForest = nameof(FastForest);

    /// <summary>L-BFGS logistic regression / maximum entropy for classification, online gradient descent for regression, on standardized features.</summary>
    public const string Linear = nameof(Linear);

    public static readonly IReadOnlyList<string> All = [LightGbm, FastTree, FastForest, Linear];

    /// <summary>The option weighting each class by (largest class ÷ class)^power (classification; 0 = unweighted).</summary>
    public const string ClassWeightPower = "classWeightPower";

    /// <summary>
    /// LightGBM's thread count, the same for every training in the process. LightGBM sizes per-thread buffers from
    /// OpenMP's thread count, which is global: two trainings side by side with different counts (a fold on one thread,
    /// a final fit on all cores) index past those buffers and crash the process (SIGSEGV; microsoft/LightGBM#2820,
    /// dotnet/machinelearning#4918). One thread also keeps its results independent of the machine.
    /// </summary>
    public const int LightGbmThreads = 1;

    /// <summary>
    /// LightGBM's learning rate when not tuned: LightGBM's own default. ML.NET's would be 0.2 (0.25 above 100 000
    /// rows), which on small noisy data gave the same ranking metrics but a much worse log-loss (credit-g 0.66 vs 0.54;
    /// bench/README.md).
    /// </summary>
    public const double LightGbmLearningRate = 0.1;

    /// <summary>
    /// LightGBM's L2 penalty on leaf values when not tuned: XGBoost's default (LightGBM's own is 0). It shrinks leaves
    /// of a few rows and barely touches large ones. On 10 seeded splits of 14 datasets of 57–1,797 rows the ranking
    /// metric rose on 13 (breast-cancer-ljubljana AUC +0.019, log-loss −0.26; seattle-weather accuracy +0.008), digits
    /// −0.001; unchanged on flights-20k and flights-200k (bench/README.md, *Trainer defaults*). Not applied when the
    /// rarest class has under 1 % of the rows (see <see cref="LightGbmL2"/>).
    /// </summary>
    public const double LightGbmL2Regularization = 1;

    /// <summary>The trainer estimator, reading <c>Features</c> and <c>Label</c>.</summary>
    /// <param name="ml">The context.</param>
    /// <param name="name">One of <see cref="All"/>.</param>
    /// <param name="schema">Schema (task, row count).</param>
    /// <param name="seed">Trainer seed.</param>
    /// <param name="threads">Threads for the trainer (LightGBM always uses <see cref="LightGbmThreads"/>); 1 when trainings run side by side, null = all cores.</param>
    /// <param name="hyperparameters">Tuned values by option name (see <see cref="Tuning.SearchSpace.Default"/>); absent = default.</param>
    /// <param name="smallestClass">Training rows of the rarest class (classification), which bounds the rows per leaf.</param>
    /// <param name="weighted">Whether the data has a <see cref="FeatureRows.WeightColumn"/> (weighted classes).</param>
    public static IEstimator<ITransformer> Create(MLContext ml, string name, DatasetSchema schema, int seed, int? threads, IReadOnlyDictionary<string, double>? hyperparameters = null, int? smallestClass = null, bool weighted = false)
    {
        var hp = hyperparameters ?? new Dictionary<string, double>();
        var weight = weighted ? FeatureRows.WeightColumn : null;
        var minPerLeaf = I("minimumExampleCountPerLeaf", MinimumRowsPerLeaf(schema.Rows, smallestClass));
        const string label = FeatureRows.LabelColumn;
        return (name, schema.Task) switch
        {
            (LightGbm, MlTask.BinaryClassification) => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                LabelColumnName = label, ExampleWeightColumnName = weight, Seed = seed, NumberOfThreads = LightGbmThreads, MinimumExampleCountPerLeaf = minPerLeaf, Booster = Booster(),
                LearningRate = D("learningRate") ?? LightGbmLearningRate, NumberOfLeaves = N("numberOfLeaves"), NumberOfIterations = I("numberOfIterations", 100),
            }),
            (LightGbm, MlTask.MulticlassClassification) => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = label, ExampleWeightColumnName = weight, Seed = seed, NumberOfThreads = LightGbmThreads, MinimumExampleCountPerLeaf = minPerLeaf, Booster = Booster(),
                LearningRate = D("learningRate") ?? LightGbmLearningRate, NumberOfLeaves = N("numberOfLeaves"), NumberOfIterations = I("numberOfIterations", 100),
            }),
            (LightGbm, _) => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = label, ExampleWeightColumnName = weight, Seed = seed, NumberOfThreads = LightGbmThreads, MinimumExampleCountPerLeaf = minPerLeaf, Booster = Booster(),
                LearningRate = D("learningRate") ?? LightGbmLearningRate, NumberOfLeaves = N("numberOfLeaves"), NumberOfIterations = I("numberOfIterations", 100),
            }),
            (FastTree, MlTask.BinaryClassification) => ml.BinaryClassification.Trainers.FastTree(Boosted(new FastTreeBinaryTrainer.Options())),
            (FastTree, MlTask.MulticlassClassification) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(Boosted(new FastTreeBinaryTrainer.Options())), label),
            (FastTree, _) => ml.Regression.Trainers.FastTree(Boosted(new FastTreeRegressionTrainer.Options())),
            (FastForest, MlTask.BinaryClassification) => ml.BinaryClassification.Trainers.FastForest(Forest(new FastForestBinaryTrainer.Options()))
                .Append(ml.BinaryClassification.Calibrators.Platt(labelColumnName: label)),
            (FastForest, MlTask.MulticlassClassification) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastForest(Forest(new FastForestBinaryTrainer.Options())), label),
            (FastForest, _) => ml.Regression.Trainers.FastForest(Forest(new FastForestRegressionTrainer.Options())),
            (Linear, MlTask.BinaryClassification) => Standardize(ml).Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
            {
                LabelColumnName = label, ExampleWeightColumnName = weight, NumberOfThreads = threads, L1Regularization = F("l1Regularization", 1), L2Regularization = F("l2Regularization", 1),
            })),
            (Linear, MlTask.MulticlassClassification) => Standardize(ml).Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = label, ExampleWeightColumnName = weight, NumberOfThreads = threads, L1Regularization = F("l1Regularization", 1), L2Regularization = F("l2Regularization", 1),
            })),
            // SDCA regression diverges to non-finite weights on simple data in ML.NET 5.0.1; online gradient descent does not.
            // Its inputs are scaled by their largest absolute value, not standardized: standardizing makes a rare one-hot
            // or n-gram input huge (1/std), and the steps then diverge (free text, many categories; bench/README.md).
            (Linear, _) => ml.Transforms.NormalizeMinMax("Features", fixZero: true).Append(ml.Regression.Trainers.OnlineGradientDescent(new OnlineGradientDescentTrainer.Options
            {
                LabelColumnName = label, NumberOfIterations = I("numberOfIterations", LinearEpochs(schema.Rows)), L2Regularization = F("l2Regularization", 0),
            })),
            _ => throw new ArgumentException($"Unknown trainer '{name}'; use {string.Join(", ", All)}.", nameof(name)),
        };

        GradientBooster.Options Booster()
        {
            var booster = new GradientBooster.Options();
            booster.L1Regularization = hp.TryGetValue("l1Regularization", out var l1) ? l1 : booster.L1Regularization;
            booster.L2Regularization = hp.TryGetValue("l2Regularization", out var l2) ? l2 : LightGbmL2(schema.Rows, smallestClass);
            booster.FeatureFraction = hp.TryGetValue("featureFraction", out var ff) ? ff : booster.FeatureFraction;
            booster.MinimumChildWeight = hp.TryGetValue("minimumChildWeight", out var mcw) ? mcw : booster.MinimumChildWeight;
            return booster;
        }

        double? D(string key) => hp.TryGetValue(key, out var v) ? v : null;

        int? N(string key) => hp.TryGetValue(key, out var v) ? (int)Math.Round(v) : null;

        int I(string key, int fallback) => hp.TryGetValue(key, out var v) ? (int)Math.Round(v) : fallback;

        float F(string key, float fallback) => hp.TryGetValue(key, out var v) ? (float)v : fallback;

        TOptions Boosted<TOptions>(TOptions o)
            where TOptions : BoostedTreeOptions
        {
            Tree(o);
            o.LearningRate = hp.TryGetValue("learningRate", out var lr) ? lr : o.LearningRate;
            return o;
        }

        TOptions Forest<TOptions>(TOptions o)
            where TOptions : FastForestOptionsBase
        {
            Tree(o);
            return o;
        }

        void Tree(TreeOptions o)
        {
            o.LabelColumnName = label;
            o.ExampleWeightColumnName = weight;
            o.Seed = seed;
            o.NumberOfThreads = threads;
            o.MinimumExampleCountPerLeaf = minPerLeaf;
            o.NumberOfLeaves = I("numberOfLeaves", o.NumberOfLeaves);
            o.NumberOfTrees = I("numberOfTrees", o.NumberOfTrees);
            o.FeatureFraction = hp.TryGetValue("featureFraction", out var ff) ? ff : o.FeatureFraction;
        }
    }

    /// <summary>
    /// Rows per leaf by default: 1 % of the rows, from 2 to 20 (the usual 20 starves datasets of a few hundred rows),
    /// and at most half the rarest class's training rows, down to 1: a leaf must be able to hold that class alone, or a
    /// class of a few rows among thousands is never predicted (XGBoost's min_child_weight of 1 lets it carve them out).
    /// </summary>
    public static int MinimumRowsPerLeaf(int rows, int? smallestClass) =>
        Math.Min(Math.Clamp(rows / 100, 2, 20), smallestClass is { } s ? Math.Max(1, s / 2) : int.MaxValue);

    /// <summary>
    /// LightGBM's default L2 penalty: <see cref="LightGbmL2Regularization"/>, or none when the rarest class has under 1 %
    /// of the rows. Such a class starts near its tiny prior, so a leaf of its rows has a gradient-boosting weight (the
    /// sum of p(1 − p)) far below 1, and a penalty of 1 swamps it: a class of 4 rows among 4,000 was no longer predicted.
    /// </summary>
    public static double LightGbmL2(int rows, int? smallestClass) =>
        smallestClass is { } s && s < rows / 100.0 ? 0 : LightGbmL2Regularization;

    /// <summary>
    /// Passes of online gradient descent over the data: 50 up to 40 000 rows, then about 2 million steps in all (10
    /// passes over 200 000 rows), at least 5. More passes over a large table only cost time: the 50 passes of 200 000
    /// rows made the linear trainer the slowest candidate there (bench/README.md, *Time and memory*).
    /// </summary>
    public static int LinearEpochs(int rows) => Math.Clamp(2_000_000 / Math.Max(rows, 1), 5, 50);

    private static IEstimator<ITransformer> Standardize(MLContext ml) => ml.Transforms.NormalizeMeanVariance("Features", fixZero: false);
}
