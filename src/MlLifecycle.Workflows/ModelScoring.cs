using System.Diagnostics;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Workflows;

/// <summary>Row picking and scoring shared by the activities that train or evaluate models.</summary>
internal static class ModelScoring
{
    public static IReadOnlyList<T> Pick<T>(IReadOnlyList<T> items, int[] indexes) => new Picked<T>(items, indexes);

    /// <summary>
    /// Trains one candidate on the <paramref name="train"/> rows of a run (one thread: candidates run side by side) and
    /// scores it on the <paramref name="validation"/> rows, whose predictions it keeps as
    /// <see cref="OutOfFoldPredictions"/> (null on failure); <c>Seconds</c> is the time both took. Training is
    /// deterministic, so a candidate that cannot fit these rows (a linear trainer whose weights diverge, say) fails the
    /// same way on a retry: its failure is returned as a result, and the candidate is left out, instead of failing the
    /// activity and the run.
    /// </summary>
    /// <param name="options">Hyperparameters of a tuning trial; null = the trainer's defaults.</param>
    public static (Dictionary<string, double> Metrics, string? Error, double Seconds, OutOfFoldPredictions? Predictions) TrainAndScore(RunData data, string trainer, int[] train, int[] validation, IReadOnlyDictionary<string, double>? options = null)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var model = TrainedModel.Train(data.Schema, data.Rows.Subset(train), Pick(data.Labels, train), data.Spec.EffectiveSeed, data.Spec, trainer, threads: 1, options);
            var predictions = model.Predict(data.Rows.Subset(validation));
            // An undefined metric (AUC of a one-class fold) or an overflowing one is left out: results must serialize.
            var metrics = Metrics.For(model.Schema, Pick(data.Labels, validation), predictions).Where(m => double.IsFinite(m.Value)).ToDictionary();
            return (metrics, null, stopwatch.Elapsed.TotalSeconds, new OutOfFoldPredictions(validation, [.. predictions.Select(p => PredictionVectors.Of(data.Schema, p))]));
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException or InsufficientExecutionStackException))
        {
            // Not the machine running short (memory, stack): that is not the candidate's fault, and a retry may pass.
            return ([], $"{ex.GetType().Name}: {ex.Message}", stopwatch.Elapsed.TotalSeconds, null);
        }
    }

    /// <summary>Metrics of a model on some rows.</summary>
    public static Dictionary<string, double> Score(TrainedModel model, FeatureSource rows, IReadOnlyList<string> labels, int[] indexes) =>
        Metrics.For(model.Schema, Pick(labels, indexes), model.Predict(rows.Subset(indexes)));
}
