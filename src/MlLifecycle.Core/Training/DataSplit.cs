using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Training;

/// <summary>Row indices of a train / validation / test holdout split.</summary>
public sealed record DataSplit(int[] Train, int[] Validation, int[] Test)
{
    /// <summary>
    /// Seeded holdout split (default 70/15/15). With <paramref name="strata"/> (class per row) every class is split in
    /// the same proportions, so rare classes reach every part.
    /// </summary>
    public static DataSplit Holdout(int rows, int seed, double trainFraction = 0.7, double validationFraction = 0.15, IReadOnlyList<string>? strata = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainFraction);
        ArgumentOutOfRangeException.ThrowIfNegative(validationFraction);
        if (trainFraction + validationFraction >= 1)
        {
            throw new ArgumentException("Train and validation fractions must leave rows for the test split.");
        }

        var minimum = 10;
        if (rows < minimum)
        {
            throw new DataValidationException(AnomalyCodes.TooFewRows, null, $"The dataset has {rows} usable rows; at least {minimum} are needed for a train/validation/test split.");
        }

        var random = new Random(seed);
        var groups = strata is null
            ? [Enumerable.Range(0, rows).ToArray()]
            : Enumerable.Range(0, rows).GroupBy(i => strata[i], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToArray()).ToList();
        List<int> train = [], validation = [], test = [];
        foreach (var group in groups)
        {
            random.Shuffle(group);
            var nTrain = (int)Math.Round(group.Length * trainFraction);
            var nValidation = (int)Math.Round(group.Length * validationFraction);
            nValidation = Math.Min(nValidation, group.Length - nTrain);
            train.AddRange(group[..nTrain]);
            validation.AddRange(group[nTrain..(nTrain + nValidation)]);
            test.AddRange(group[(nTrain + nValidation)..]);
        }

        if (test.Count == 0 || train.Count == 0)
        {
            throw new DataValidationException(AnomalyCodes.TooFewRows, null, $"The dataset has {rows} usable rows: too few for a non-empty train and test split.");
        }

        train.Sort();
        validation.Sort();
        test.Sort();
        return new DataSplit([.. train], [.. validation], [.. test]);
    }

    /// <summary>Chronological holdout: the earliest rows train, the next validate, the latest test (no look-ahead).</summary>
    public static DataSplit Chronological(IReadOnlyList<double> order, double trainFraction = 0.7, double validationFraction = 0.15)
    {
        var rows = order.Count;
        var sorted = Enumerable.Range(0, rows).OrderBy(i => order[i]).ThenBy(i => i).ToArray();
        var nTrain = (int)Math.Round(rows * trainFraction);
        var nValidation = (int)Math.Round(rows * validationFraction);
        if (rows < 10 || nTrain == 0 || nTrain + nValidation >= rows)
        {
            throw new DataValidationException(AnomalyCodes.TooFewRows, null, $"The dataset has {rows} usable rows: too few for a chronological split.");
        }

        return new DataSplit(sorted[..nTrain].Order().ToArray(), sorted[nTrain..(nTrain + nValidation)].Order().ToArray(), sorted[(nTrain + nValidation)..].Order().ToArray());
    }
}
