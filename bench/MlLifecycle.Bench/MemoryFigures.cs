using System.Text.Json;

namespace MlLifecycle.Bench;

/// <summary>The memory suite's figures and checks, from its measurements.</summary>
public static class MemoryFigures
{
    public static IReadOnlyList<BenchFigure> Figures(MemoryBench.Measured measured)
    {
        List<BenchFigure> figures = [];
        foreach (var train in measured.Trains.Where(t => t.ExitCode == 0))
        {
            var what = $"train {train.Name} ({train.Rows:N0} rows × {train.Columns}, {Path.GetExtension(train.File).TrimStart('.')}, {Spec(train)})";
            figures.Add(train.Peer is { } peer
                ? new($"peak RSS of {what}", train.PeakMb, "MB", "HistGradientBoosting reading and fitting the file", peer.PeakMb, "lower")
                : train.Rows == 1_000_000
                    ? new($"peak RSS of {what}", train.PeakMb, "MB", "the issue's target for 1M × 20", MemoryBench.MillionRowsTargetMb, "lower")
                    : new($"peak RSS of {what}", train.PeakMb, "MB", "budget: the largest Flex Consumption instance", MemoryBench.TrainBudgetMb, "lower"));
            if (train.Peer is { } fit && train.Rows >= 10_000_000)
            {
                figures.Add(new($"wall time of {what}", train.Seconds, "s", "HistGradientBoosting's read + fit (one fit, no selection)", fit.ReadSeconds + fit.FitSeconds, "lower"));
            }
        }

        figures.Add(new($"RSS of serve with {measured.Models} models loaded", measured.ServeRssMb, "MB", "budget: the instance size bicep/ deploys", MemoryBench.ServeBudgetMb, "lower"));
        return figures;
    }

    public static IReadOnlyList<BenchCheck> Checks(MemoryBench.Measured measured, bool quick)
    {
        List<BenchCheck> checks = [];
        foreach (var train in measured.Trains.Where(t => t.Name != "over-budget"))
        {
            checks.Add(new($"train {train.Name} succeeds", train.ExitCode == 0 && Status(train) == "Succeeded", $"exit {train.ExitCode}, {Status(train)}"));
            checks.Add(new($"train {train.Name} peak ≤ {MemoryBench.TrainBudgetMb:F0} MB", train.PeakMb <= MemoryBench.TrainBudgetMb, $"{train.PeakMb:F0} MB in {train.Seconds:F0} s"));
        }

        if (measured.Trains.FirstOrDefault(t => t.Name == "numbers-1m") is { } million)
        {
            checks.Add(new($"train numbers-1m peak ≤ {MemoryBench.MillionRowsTargetMb:F0} MB (the issue's target)", million.PeakMb <= MemoryBench.MillionRowsTargetMb, $"{million.PeakMb:F0} MB"));
        }

        if (quick)
        {
            var (csv, parquet) = (measured.Trains.Single(t => t.Name == "numbers-csv"), measured.Trains.Single(t => t.Name == "numbers-parquet"));
            checks.Add(new("the same rows as CSV and as Parquet give the same test metrics", Metrics(csv) is { } m && m == Metrics(parquet), $"{Metrics(csv)} / {Metrics(parquet)}"));
            var sampled = csv.Result?.GetProperty("selection").TryGetProperty("sampleRows", out var rows) == true ? rows.GetInt32() : 0;
            checks.Add(new("selection reads a sample of the asked 1,000 rows (± 1 %)", sampled is >= 990 and <= 1010, $"{sampled} rows"));
            var refused = measured.Trains.Single(t => t.Name == "over-budget");
            var codes = refused.Result?.TryGetProperty("anomalies", out var anomalies) == true ? string.Join(",", anomalies.EnumerateArray().Select(a => a.GetProperty("code").GetString())) : "";
            checks.Add(new("300,000 rows over a 512 MB budget are refused when opened (OverMemoryBudget), not killed", refused.ExitCode != 0 && Status(refused) == "Rejected" && codes.Contains("OverMemoryBudget", StringComparison.Ordinal), $"exit {refused.ExitCode}, {Status(refused)}, {codes}, {refused.Seconds:F0} s"));
        }

        checks.Add(new($"serve peak ≤ {MemoryBench.ServeBudgetMb:F0} MB with {measured.Models} models (trained and loaded)", measured.ServePeakMb <= MemoryBench.ServeBudgetMb, $"RSS {measured.ServeRssMb:F0} MB, peak {measured.ServePeakMb:F0} MB"));
        return checks;
    }

    private static string Spec(MemoryBench.TrainCase train) => train.Result?.GetProperty("selection") is { } selection && selection.GetProperty("trainers").GetArrayLength() == 1
        ? $"{selection.GetProperty("winner").GetString()}, {selection.GetProperty("folds").GetInt32()} folds"
        : "default spec";

    private static string? Status(MemoryBench.TrainCase train) => train.Result?.GetProperty("status").GetString();

    private static string? Metrics(MemoryBench.TrainCase train) => train.Result?.TryGetProperty("metrics", out var metrics) == true ? metrics.GetRawText() : null;
}
