namespace MlLifecycle.Core.Evaluation;

/// <summary>ROC and precision–recall curves of a binary classifier's scores, as at most <see cref="MaxPoints"/> points each.</summary>
/// <param name="Roc">(false-positive rate, true-positive rate) from (0, 0) to (1, 1), by falling threshold.</param>
/// <param name="PrecisionRecall">(recall, precision) by falling threshold.</param>
public sealed record Curves(IReadOnlyList<double[]> Roc, IReadOnlyList<double[]> PrecisionRecall)
{
    public const int MaxPoints = 101;

    /// <summary>The curves of <paramref name="scores"/> (higher = more positive) against <paramref name="positive"/>; null when a class is absent.</summary>
    public static Curves? Of(IReadOnlyList<bool> positive, IReadOnlyList<double> scores)
    {
        var (positives, negatives) = (positive.Count(p => p), positive.Count(p => !p));
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        List<double[]> roc = [[0, 0]], pr = [];
        var (tp, fp) = (0, 0);
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToList();
        for (var k = 0; k < order.Count; k++)
        {
            if (positive[order[k]])
            {
                tp++;
            }
            else
            {
                fp++;
            }

            if (k == order.Count - 1 || scores[order[k + 1]] != scores[order[k]]) // one point per distinct threshold
            {
                roc.Add([(double)fp / negatives, (double)tp / positives]);
                pr.Add([(double)tp / positives, (double)tp / (tp + fp)]);
            }
        }

        return new Curves(Thin(roc), Thin(pr));
    }

    /// <summary>The area under a curve of (x, y) points by the trapezoid rule.</summary>
    public static double Area(IReadOnlyList<double[]> curve) =>
        Enumerable.Range(1, curve.Count - 1).Sum(i => (curve[i][0] - curve[i - 1][0]) * (curve[i][1] + curve[i - 1][1]) / 2);

    /// <summary>At most <see cref="MaxPoints"/> evenly spaced points, the first and last kept.</summary>
    private static List<double[]> Thin(List<double[]> points) =>
        points.Count <= MaxPoints ? points : [.. Enumerable.Range(0, MaxPoints).Select(i => points[(int)Math.Round((double)i * (points.Count - 1) / (MaxPoints - 1))])];
}
