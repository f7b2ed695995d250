using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlLifecycle.Bench;

/// <summary>One measured figure, against the peer or baseline measured in the same run: <see cref="Ratio"/> = ours ÷ peer.</summary>
/// <param name="Better">Which way is better for <see cref="Ours"/>: <c>lower</c> (times) or <c>higher</c> (scores, throughput).</param>
public sealed record BenchFigure(string Name, double Ours, string Unit, string Peer, double PeerValue, string Better)
{
    public double Ratio => PeerValue == 0 ? double.NaN : Ours / PeerValue;
}

/// <summary>A pass/fail condition of a suite (a budget, an invariant); a failed one fails the suite.</summary>
public sealed record BenchCheck(string Name, bool Passed, string Detail);

/// <summary>What a suite writes to <c>$BENCH_OUT/{suite}.json</c> (default <c>bench/results/</c>) for <c>bench/run.sh</c>'s table.</summary>
public sealed record BenchResult(string Suite, bool Quick, IReadOnlyList<BenchFigure> Figures, IReadOnlyList<BenchCheck> Checks)
{
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    public int Cores { get; init; } = Environment.ProcessorCount;

    /// <summary>The suite's raw measurements, for whoever wants more than the table.</summary>
    public object? Data { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Writes the file and returns the exit code: 0 when every check passed, 1 otherwise.</summary>
    public int Write()
    {
        var folder = Environment.GetEnvironmentVariable("BENCH_OUT") is { Length: > 0 } configured ? configured : Path.Combine("bench", "results");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{Suite}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
        foreach (var failed in Checks.Where(c => !c.Passed))
        {
            Console.Error.WriteLine($"{Suite}: check failed: {failed.Name}: {failed.Detail}");
        }

        Console.WriteLine($"{Suite}: wrote {path}");
        return Checks.All(c => c.Passed) ? 0 : 1;
    }
}
