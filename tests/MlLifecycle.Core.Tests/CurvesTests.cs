using MlLifecycle.Core.Evaluation;

namespace MlLifecycle.Core.Tests;

public sealed class CurvesTests
{
    [Fact]
    public void Of_FourScores_GivesTheRocAndPrecisionRecallPointsByHand()
    {
        var curves = Curves.Of([true, false, true, false], [0.9, 0.8, 0.7, 0.1])!;

        Assert.Equal([[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]], curves.Roc);
        Assert.Equal([[0.5, 1], [0.5, 0.5], [1, 2.0 / 3], [1, 0.5]], curves.PrecisionRecall);
        Assert.Equal(0.75, Curves.Area(curves.Roc), 12);
    }

    [Fact]
    public void Of_TiedScores_AreOneThreshold_AndAMissingClassGivesNoCurve()
    {
        Assert.Equal([[0, 0], [1, 1]], Curves.Of([true, false], [0.5, 0.5])!.Roc);
        Assert.Null(Curves.Of([true, true], [0.2, 0.4]));
    }

    [Fact]
    public void Of_AThousandDistinctScores_IsThinnedToAHundredAndOnePoints_KeepingTheEnds_AndItsAreaIsTheAuc()
    {
        var random = new Random(3);
        var positive = Enumerable.Range(0, 1000).Select(_ => random.NextDouble() < 0.3).ToList();
        var scores = positive.Select(p => (p ? 0.3 : 0) + random.NextDouble()).ToList();
        // AUC by its definition: the share of (positive, negative) pairs the scores order right.
        var (pos, neg) = (scores.Where((_, i) => positive[i]).ToList(), scores.Where((_, i) => !positive[i]).ToList());
        var auc = pos.Sum(p => neg.Count(n => n < p)) / (double)(pos.Count * neg.Count);

        var curves = Curves.Of(positive, scores)!;

        Assert.Equal(Curves.MaxPoints, curves.Roc.Count);
        Assert.Equal([0, 0], curves.Roc[0]);
        Assert.Equal([1, 1], curves.Roc[^1]);
        Assert.Equal(auc, Curves.Area(curves.Roc), 2);
        Assert.Equal(1, curves.PrecisionRecall[^1][0]);
    }
}
