using System.Text.Json.Serialization;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Validation;

/// <summary>One cross-validation fold: row indices to train on and to score.</summary>
public sealed record Fold(int Index, [property: JsonConverter(typeof(IndexListConverter))] int[] Train, [property: JsonConverter(typeof(IndexListConverter))] int[] Validation);

/// <summary>
/// Cross-validation folds (pure and seeded). Indices refer to the rows passed in; callers pass the
/// train + validation part of the holdout split, so the test split is never used for selection.
/// </summary>
public static class Folds
{
    /// <summary>Leave-one-out trains one model per row: refused above this many rows.</summary>
    public const int MaxLeaveOneOutRows = 300;

    /// <summary>Shuffled k-fold: every row is validated exactly once.</summary>
    public static List<Fold> KFold(int rows, int k, int seed)
    {
        Check(rows, k);
        var order = Enumerable.Range(0, rows).ToArray();
        new Random(seed).Shuffle(order);
        var fold = new int[rows];
        for (var position = 0; position < rows; position++)
        {
            fold[order[position]] = position % k;
        }

        return FromAssignment(rows, k, i => fold[i]);
    }

    /// <summary>Stratified k-fold: each class is dealt round-robin over the folds, so every fold keeps the class
    /// proportions within one row per class.</summary>
    public static List<Fold> StratifiedKFold(IReadOnlyList<string> labels, int k, int seed)
    {
        Check(labels.Count, k);
        var random = new Random(seed);
        var fold = new int[labels.Count];
        var next = 0;
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            foreach (var row in members)
            {
                // Continue the round-robin across classes so small classes do not all start in fold 0.
                fold[row] = next++ % k;
            }
        }

        return FromAssignment(labels.Count, k, i => fold[i]);
    }

    /// <summary>Leave-one-out: n folds of one validation row each.</summary>
    public static List<Fold> LeaveOneOut(int rows)
    {
        if (rows > MaxLeaveOneOutRows)
        {
            throw new DataValidationException(AnomalyCodes.TooManyFolds, null, $"Leave-one-out would train {rows} models; it is limited to {MaxLeaveOneOutRows} rows. Use k-fold.");
        }

        Check(rows, 2);
        return FromAssignment(rows, rows, i => i);
    }

    /// <summary>
    /// Time-series folds over rows ordered by <paramref name="order"/>: the ordered rows are cut into k + 1 blocks and
    /// fold i validates on block i + 1 after training on blocks 0..i (expanding) or on block i only (sliding).
    /// No fold trains on a row later than its validation rows.
    /// </summary>
    public static List<Fold> TimeSeries(IReadOnlyList<double> order, int k, bool sliding)
    {
        Check(order.Count, k + 1);
        var sorted = Enumerable.Range(0, order.Count).OrderBy(i => order[i]).ThenBy(i => i).ToArray();
        var size = order.Count / (k + 1);
        List<Fold> folds = [];
        for (var f = 0; f < k; f++)
        {
            var validationStart = (f + 1) * size;
            var validationEnd = f == k - 1 ? order.Count : validationStart + size;
            var trainStart = sliding ? validationStart - size : 0;
            folds.Add(new Fold(f, sorted[trainStart..validationStart].Order().ToArray(), sorted[validationStart..validationEnd].Order().ToArray()));
        }

        return folds;
    }

    /// <summary>Group k-fold: all rows of a group land in the same fold (largest groups placed first, on the lightest fold).</summary>
    public static List<Fold> GroupKFold(IReadOnlyList<string> groups, int k, int seed)
    {
        var byGroup = Enumerable.Range(0, groups.Count).GroupBy(i => groups[i], StringComparer.Ordinal).ToList();
        if (byGroup.Count < k)
        {
            throw new DataValidationException(AnomalyCodes.TooFewRows, null, $"Group k-fold needs at least {k} groups; found {byGroup.Count}.");
        }

        var random = new Random(seed);
        var shuffled = byGroup.OrderBy(_ => random.Next()).OrderByDescending(g => g.Count()).ToList();
        var load = new int[k];
        var fold = new int[groups.Count];
        foreach (var group in shuffled)
        {
            var target = Array.IndexOf(load, load.Min());
            load[target] += group.Count();
            foreach (var row in group)
            {
                fold[row] = target;
            }
        }

        return FromAssignment(groups.Count, k, i => fold[i]);
    }

    private static List<Fold> FromAssignment(int rows, int k, Func<int, int> foldOf)
    {
        var assignment = Enumerable.Range(0, rows).Select(foldOf).ToArray();
        return Enumerable.Range(0, k)
            .Select(f => new Fold(f, Enumerable.Range(0, rows).Where(i => assignment[i] != f).ToArray(), Enumerable.Range(0, rows).Where(i => assignment[i] == f).ToArray()))
            .ToList();
    }

    private static void Check(int rows, int k)
    {
        if (k < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "Cross-validation needs at least 2 folds.");
        }

        if (rows < k)
        {
            throw new DataValidationException(AnomalyCodes.TooFewRows, null, $"{rows} rows are too few for {k} folds.");
        }
    }
}
