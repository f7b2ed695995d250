using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Workflows;

/// <summary>Row picking and scoring shared by the activities that train or evaluate models.</summary>
internal static class ModelScoring
{
    public static List<T> Pick<T>(List<T> items, int[] indexes) => indexes.Select(i => items[i]).ToList();

    /// <summary>
    /// Trains and scores one candidate. Training is deterministic, so a candidate that cannot fit these rows (a linear
    /// trainer whose weights diverge, say) fails the same way on a retry: its failure is returned as a result, and
    /// the candidate is left out, instead of failing the activity and the run.
    /// </summary>
    public static (Dictionary<string, double> Metrics, string? Error) TryTrainAndScore(Func<Dictionary<string, double>> trainAndScore)
    {
        try
        {
            // An undefined metric (AUC of a one-class fold) or an overflowing one is left out: results must serialize.
            return (trainAndScore().Where(m => double.IsFinite(m.Value)).ToDictionary(), null);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException or InsufficientExecutionStackException))
        {
            // Not the machine running short (memory, stack): that is not the candidate's fault, and a retry may pass.
            return ([], $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Metrics of a model on some rows.</summary>
    public static Dictionary<string, double> Score(TrainedModel model, List<string?[]> rows, List<string> labels, int[] indexes)
    {
        return Metrics.For(model.Schema, Pick(labels, indexes), model.Predict(Pick(rows, indexes)));
    }
}
