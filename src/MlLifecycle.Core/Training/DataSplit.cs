using System.IO.Hashing;
using System.Text;
using System.Text.Json.Serialization;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Validation;

namespace MlLifecycle.Core.Training;

/// <summary>Row indices of a train / validation / test holdout split.</summary>
public sealed record DataSplit(
    [property: JsonConverter(typeof(IndexListConverter))] int[] Train,
    [property: JsonConverter(typeof(IndexListConverter))] int[] Validation,
    [property: JsonConverter(typeof(IndexListConverter))] int[] Test)
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

    /// <summary>
    /// Hash-stable holdout split (default 70/15/15): a row's part is a function of its content and a salt fixed per
    /// model, not of a shuffle or a seed, so a row keeps its part across seeds, reruns, grown files and file formats
    /// (retraining on more data keeps old test rows in test), and exact duplicates share a part. Each row's xxHash64 of
    /// its typed values (<see cref="RowContent"/>, numbers in single precision) seeded by the salt is read as a number
    /// u in [0, 1): u below the train fraction trains, below train + validation validates, the rest tests. With
    /// <paramref name="strata"/> (class per row) a class none of whose rows fell in train gets its row of least u moved
    /// there, so every class can be learned; the data always keeps a train and a test row.
    /// </summary>
    public static DataSplit Hashed(RowContent rows, string salt, double trainFraction = 0.7, double validationFraction = 0.15, IReadOnlyList<string>? strata = null)
    {
        var seed = unchecked((long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(salt)));
        return Hashed([.. rows.Hashes(seed, singlePrecision: true).Select(h => (h >> 11) * (1.0 / (1UL << 53)))], trainFraction, validationFraction, strata);
    }

    /// <summary>The hash split of rows whose hashes, as numbers in [0, 1), are <paramref name="u"/>.</summary>
    public static DataSplit Hashed(double[] u, double trainFraction = 0.7, double validationFraction = 0.15, IReadOnlyList<string>? strata = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainFraction);
        ArgumentOutOfRangeException.ThrowIfNegative(validationFraction);
        if (trainFraction + validationFraction >= 1)
        {
            throw new ArgumentException("Train and validation fractions must leave rows for the test split.");
        }

        const int minimum = 10;
        var count = u.Length;
        if (count < minimum)
        {
            throw new DataValidationException(AnomalyCodes.TooFewRows, null, $"The dataset has {count} usable rows; at least {minimum} are needed for a train/validation/test split.");
        }

        var part = new Part[count];
        Dictionary<string, (int Train, int Least)> classes = new(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            part[i] = u[i] < trainFraction ? Part.Train : u[i] < trainFraction + validationFraction ? Part.Validation : Part.Test;
            var key = strata?[i] ?? "";
            var (train, least) = classes.GetValueOrDefault(key, (0, i));
            classes[key] = (train + (part[i] == Part.Train ? 1 : 0), u[i] < u[least] ? i : least);
        }

        foreach (var (key, (train, least)) in classes.Where(c => c.Value.Train == 0).ToList())
        {
            part[least] = Part.Train;
            classes[key] = (1, least);
        }

        if (!part.Contains(Part.Test))
        {
            // The row of greatest u whose class keeps another training row.
            var movable = Enumerable.Range(0, count).Where(i => part[i] != Part.Train || classes[strata?[i] ?? ""].Train > 1).ToList();
            if (movable.Count == 0)
            {
                throw new DataValidationException(AnomalyCodes.TooFewRows, null, $"The dataset has {count} usable rows: too few for a non-empty train and test split.");
            }

            part[movable.MaxBy(i => u[i])] = Part.Test;
        }

        int[] Of(Part p) => [.. Enumerable.Range(0, count).Where(i => part[i] == p)];
        return new DataSplit(Of(Part.Train), Of(Part.Validation), Of(Part.Test));
    }

    private enum Part : byte { Train, Validation, Test }

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
