using System.Globalization;
using MathNet.Numerics.Statistics;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Evaluation;

/// <summary>One trainer scored on one cross-validation fold; <paramref name="Error"/> when it could not be trained on the fold.</summary>
public sealed record FoldResult(string Trainer, int Fold, int TrainRows, int ValidationRows, Dictionary<string, double> Metrics, double Seconds, string? Error = null);

/// <summary>Mean and sample standard deviation of a metric over folds (folds where it is undefined are left out).</summary>
public sealed record MetricSummary(double Mean, double Std, int Folds);

/// <summary>A trainer's metrics over folds; <paramref name="Error"/> (the first fold's failure) when it failed on any fold.</summary>
public sealed record TrainerSummary(string Trainer, Dictionary<string, MetricSummary> Metrics, string? Error = null);

/// <summary>Aggregates fold results and picks the trainer with the best mean primary metric.</summary>
public static class ModelSelection
{
    public static List<TrainerSummary> Summarize(IEnumerable<FoldResult> results) =>
        results.GroupBy(r => r.Trainer, StringComparer.Ordinal)
            .OrderBy(g => Order(g.Key))
            .Select(g => new TrainerSummary(
                g.Key,
                g.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                    .Select(metric => (metric, values: g.Select(r => r.Metrics.GetValueOrDefault(metric, double.NaN)).Where(double.IsFinite).ToArray()))
                    .Where(m => m.values.Length > 0)
                    .ToDictionary(m => m.metric, m => new MetricSummary(m.values.Mean(), m.values.Length > 1 ? m.values.StandardDeviation() : 0, m.values.Length), StringComparer.Ordinal),
                g.Where(r => r.Error is not null).Select(r => $"fold {r.Fold}: {r.Error}").FirstOrDefault()))
            .ToList();

    /// <summary>
    /// The trainer with the best mean of <paramref name="metric"/> among those that trained on every fold; ties go to
    /// the earlier trainer in <see cref="Trainers.All"/>. Null when every trainer failed on some fold.
    /// </summary>
    public static string? Best(IReadOnlyList<TrainerSummary> summaries, string metric)
    {
        var higher = PrimaryMetric.HigherIsBetter(metric);
        var trained = summaries.Where(s => s.Error is null).ToList();
        var scored = trained.Where(s => s.Metrics.TryGetValue(metric, out var m) && double.IsFinite(m.Mean)).ToList();
        if (scored.Count == 0)
        {
            return trained.FirstOrDefault()?.Trainer;
        }

        return scored.OrderBy(s => higher ? -s.Metrics[metric].Mean : s.Metrics[metric].Mean).ThenBy(s => Order(s.Trainer)).First().Trainer;
    }

    /// <summary>Why no trainer could be chosen: each trainer's first failure.</summary>
    public static string Failures(IReadOnlyList<TrainerSummary> summaries) =>
        "no candidate trainer trained on every fold: " + string.Join("; ", summaries.Select(s => $"{s.Trainer}: {s.Error}"));

    private static int Order(string trainer)
    {
        var index = Trainers.All.ToList().IndexOf(trainer);
        return index < 0 ? int.MaxValue : index;
    }
}

/// <summary>Whether a candidate may become champion, with the numbers behind the decision.</summary>
public sealed record GateDecision(bool Passed, string Reason, string Metric, double? Candidate, double? Champion, int? ChampionVersion);

public static class Gate
{
    /// <summary>
    /// Passes when every success criterion passed and, if there is a champion scored on the same test rows, the
    /// candidate's primary metric improves on it by more than 0, at least <see cref="GateSpec.MinImprovement"/> and
    /// at least <see cref="GateSpec.MinRelativeImprovement"/> of the champion's value.
    /// </summary>
    /// <param name="unscored">Why the champion was not scored on these rows, when it was not.</param>
    public static GateDecision Decide(string metric, double? candidate, double? champion, int? championVersion, IReadOnlyList<CriterionResult> criteria, GateSpec gate, string? unscored = null)
    {
        var failed = criteria.Where(c => !c.Passed).ToList();
        if (failed.Count > 0)
        {
            return new(false, $"success criteria not met: {string.Join(", ", failed.Select(c => $"{c.Metric} {F(c.Value)} vs {F(c.Threshold)}"))}", metric, candidate, champion, championVersion);
        }

        if (champion is null || championVersion is null)
        {
            return new(true, championVersion is null ? "no champion yet" : $"champion v{championVersion} not compared: {unscored ?? "it could not be scored on this data"}", metric, candidate, champion, championVersion);
        }

        if (candidate is null)
        {
            return new(false, $"the candidate has no {metric}", metric, candidate, champion, championVersion);
        }

        var improvement = PrimaryMetric.HigherIsBetter(metric) ? candidate.Value - champion.Value : champion.Value - candidate.Value;
        var relative = champion.Value == 0 ? double.PositiveInfinity : improvement / Math.Abs(champion.Value);
        var passed = improvement > 0 && improvement >= gate.MinImprovement && relative >= gate.MinRelativeImprovement;
        var reason = $"{metric} {F(candidate)} vs champion v{championVersion} {F(champion)}: improvement {F(improvement)} ({relative.ToString("P2", CultureInfo.InvariantCulture)}), required > 0, ≥ {F(gate.MinImprovement)} and ≥ {gate.MinRelativeImprovement.ToString("P2", CultureInfo.InvariantCulture)}";
        return new(passed, reason, metric, candidate, champion, championVersion);
    }

    private static string F(double? value) => value?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a";
}

public sealed record SliceGroup(string Value, int Rows, Dictionary<string, double> Metrics);

/// <summary>Test metrics per value of a segment column, and the largest gap in the primary metric between groups.</summary>
public sealed record SliceReport(string Column, string Metric, IReadOnlyList<SliceGroup> Groups, double Gap);

public static class Slices
{
    /// <summary>Groups smaller than this are reported but left out of the gap (too noisy).</summary>
    public const int MinGroupRows = 5;

    /// <param name="column">Segment column name.</param>
    /// <param name="values">Its value on each test row (numbers are cut into quartile bands).</param>
    /// <param name="numeric">Whether the column is numeric.</param>
    /// <param name="metric">Primary metric, whose gap is reported.</param>
    /// <param name="score">Metrics of a subset of test rows (by index).</param>
    public static SliceReport Compute(string column, IReadOnlyList<string?> values, bool numeric, string metric, Func<IReadOnlyList<int>, Dictionary<string, double>> score)
    {
        var keys = numeric ? Bands(values) : values.Select(v => v ?? "(missing)").ToList();
        var groups = Enumerable.Range(0, keys.Count).GroupBy(i => keys[i], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SliceGroup(g.Key, g.Count(), score(g.ToList()))).ToList();
        var comparable = groups.Where(g => g.Rows >= MinGroupRows && g.Metrics.TryGetValue(metric, out var v) && double.IsFinite(v)).Select(g => g.Metrics[metric]).ToList();
        return new SliceReport(column, metric, groups, comparable.Count < 2 ? 0 : comparable.Max() - comparable.Min());
    }

    private static List<string> Bands(IReadOnlyList<string?> values)
    {
        var numbers = values.Select(v => v is not null && SchemaInference.TryParseNumber(v, out var x) ? x : double.NaN).ToList();
        var sorted = numbers.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return values.Select(_ => "(missing)").ToList();
        }

        var edges = new[] { 0.25, 0.5, 0.75 }.Select(q => NumericStats.Quantile(sorted, q)).Distinct().ToArray();
        return numbers.Select(x =>
        {
            if (!double.IsFinite(x))
            {
                return "(missing)";
            }

            var band = edges.Count(e => x > e);
            var low = band == 0 ? "min" : edges[band - 1].ToString("G4", CultureInfo.InvariantCulture);
            var high = band == edges.Length ? "max" : edges[band].ToString("G4", CultureInfo.InvariantCulture);
            return $"{band + 1}: ({low}, {high}]";
        }).ToList();
    }
}
