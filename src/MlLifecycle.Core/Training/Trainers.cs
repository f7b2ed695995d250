using Microsoft.ML;
using Microsoft.ML.Data;
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

    /// <summary>The trainer estimator, reading <c>Features</c> and <c>Label</c>.</summary>
    /// <param name="threads">Threads for the trainer; 1 when folds run in parallel, null = all cores.</param>
    public static IEstimator<ITransformer> Create(MLContext ml, string name, DatasetSchema schema, int seed, int? threads)
    {
        // Small data needs small leaves: the usual 20 rows per leaf starves datasets of a few hundred rows.
        var minPerLeaf = Math.Clamp(schema.Rows / 100, 2, 20);
        const string label = FeatureRows.LabelColumn;
        return (name, schema.Task) switch
        {
            (LightGbm, MlTask.BinaryClassification) => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options { LabelColumnName = label, Seed = seed, MinimumExampleCountPerLeaf = minPerLeaf, NumberOfThreads = threads }),
            (LightGbm, MlTask.MulticlassClassification) => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options { LabelColumnName = label, Seed = seed, MinimumExampleCountPerLeaf = minPerLeaf, NumberOfThreads = threads }),
            (LightGbm, _) => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options { LabelColumnName = label, Seed = seed, MinimumExampleCountPerLeaf = minPerLeaf, NumberOfThreads = threads }),
            (FastTree, MlTask.BinaryClassification) => ml.BinaryClassification.Trainers.FastTree(FastTreeBinary(seed, minPerLeaf, threads)),
            (FastTree, MlTask.MulticlassClassification) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(FastTreeBinary(seed, minPerLeaf, threads)), label),
            (FastTree, _) => ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options { LabelColumnName = label, Seed = seed, MinimumExampleCountPerLeaf = minPerLeaf, NumberOfThreads = threads }),
            (FastForest, MlTask.BinaryClassification) => ml.BinaryClassification.Trainers.FastForest(FastForestBinary(seed, minPerLeaf, threads))
                .Append(ml.BinaryClassification.Calibrators.Platt(labelColumnName: label)),
            (FastForest, MlTask.MulticlassClassification) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastForest(FastForestBinary(seed, minPerLeaf, threads)), label),
            (FastForest, _) => ml.Regression.Trainers.FastForest(new FastForestRegressionTrainer.Options { LabelColumnName = label, Seed = seed, MinimumExampleCountPerLeaf = minPerLeaf, NumberOfThreads = threads }),
            (Linear, MlTask.BinaryClassification) => Standardize(ml).Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options { LabelColumnName = label, NumberOfThreads = threads })),
            (Linear, MlTask.MulticlassClassification) => Standardize(ml).Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options { LabelColumnName = label, NumberOfThreads = threads })),
            // SDCA regression diverges to non-finite weights on simple data in ML.NET 5.0.1; online gradient descent does not.
            (Linear, _) => Standardize(ml).Append(ml.Regression.Trainers.OnlineGradientDescent(new OnlineGradientDescentTrainer.Options { LabelColumnName = label, NumberOfIterations = 50 })),
            _ => throw new ArgumentException($"Unknown trainer '{name}'; use {string.Join(", ", All)}.", nameof(name)),
        };
    }

    private static IEstimator<ITransformer> Standardize(MLContext ml) => ml.Transforms.NormalizeMeanVariance("Features", fixZero: false);

    private static FastTreeBinaryTrainer.Options FastTreeBinary(int seed, int minPerLeaf, int? threads) =>
        new() { LabelColumnName = FeatureRows.LabelColumn, Seed = seed, MinimumExampleCountPerLeaf = minPerLeaf, NumberOfThreads = threads };

    private static FastForestBinaryTrainer.Options FastForestBinary(int seed, int minPerLeaf, int? threads) =>
        new() { LabelColumnName = FeatureRows.LabelColumn, Seed = seed, MinimumExampleCountPerLeaf = minPerLeaf, NumberOfThreads = threads };
}
