using MlLifecycle.Core.Tuning;

namespace MlLifecycle.Core.Tests;

public class TuningTests
{
    private static readonly SearchSpace Bowl = new([new("x", -5, 5), new("y", -5, 5)]);

    /// <summary>Branin on x ∈ [−5, 10], y ∈ [0, 15]; minimum 0.397887 (three global minima).</summary>
    private static readonly SearchSpace BraninSpace = new([new("x", -5, 10), new("y", 0, 15)]);

    private static double Quadratic(Dictionary<string, double> p) => -((p["x"] - 1.5) * (p["x"] - 1.5) + (p["y"] + 2) * (p["y"] + 2));

    private static double Branin(Dictionary<string, double> p)
    {
        double x = p["x"], y = p["y"];
        var value = Math.Pow(y - 5.1 / (4 * Math.PI * Math.PI) * x * x + 5 / Math.PI * x - 6, 2) + 10 * (1 - 1 / (8 * Math.PI)) * Math.Cos(x) + 10;
        return -value;
    }

    /// <summary>Drives a tuner like the orchestrator does, until it stops or the trial budget is spent.</summary>
    private static List<TrialOutcome> Run(ITuner tuner, Func<Dictionary<string, double>, double> objective, int budget, int concurrency = 2)
    {
        List<TrialOutcome> history = [];
        while (history.Count < budget && tuner.NextWave(history, concurrency) is { Count: > 0 } wave)
        {
            history.AddRange(wave.Take(budget - history.Count).Select(t => new TrialOutcome(t, objective(t.Parameters))));
        }

        return history;
    }

    [Fact]
    public void Grid_CoversEveryPointOnce()
    {
        var space = new SearchSpace([new("a", 1, 100, Log: true), new("b", 0, 1), new("c", Choices: [2, 4])]);
        var grid = new GridSearch(space, 3, 10);

        var trials = Run(grid, _ => 0, int.MaxValue, concurrency: 4);

        Assert.Equal(18, trials.Count); // 3 × 3 × 2
        Assert.Equal(18, trials.Select(t => string.Join(',', t.Trial.Parameters.OrderBy(p => p.Key).Select(p => p.Value))).Distinct().Count());
        Assert.Equal([1.0, 10.0, 100.0], trials.Select(t => Math.Round(t.Trial.Parameters["a"], 6)).Distinct().Order());
        Assert.Empty(grid.NextWave(trials, 4));
    }

    [Fact]
    public void Random_IsReproduciblePerSeed()
    {
        var a = Run(new RandomSearch(Bowl, 7, 1), Quadratic, 20);
        var b = Run(new RandomSearch(Bowl, 7, 1), Quadratic, 20);
        var c = Run(new RandomSearch(Bowl, 8, 1), Quadratic, 20);

        Assert.Equal(a.Select(t => t.Trial.Parameters["x"]), b.Select(t => t.Trial.Parameters["x"]));
        Assert.NotEqual(a.Select(t => t.Trial.Parameters["x"]), c.Select(t => t.Trial.Parameters["x"]));
        Assert.All(a, t => Assert.InRange(t.Trial.Parameters["y"], -5, 5));
    }

    [Fact]
    public void ParamRange_LogAndIntegerAndChoices_MapBothWays()
    {
        var log = new ParamRange("lr", 0.01, 1, Log: true);
        var integer = new ParamRange("leaves", 4, 128, Log: true, Integer: true);
        var choice = new ParamRange("k", Choices: [3, 5, 7]);

        Assert.Equal(0.1, log.FromUnit(0.5), 10);
        Assert.Equal(0.5, log.ToUnit(0.1), 10);
        Assert.Equal(23, integer.FromUnit(0.5)); // e^(ln 4 + 0.5 · ln 32) = 22.6
        Assert.Equal(7, choice.FromUnit(0.99));
        Assert.Equal(5, choice.FromUnit(choice.ToUnit(5)));
    }

    [Theory]
    [InlineData(nameof(Quadratic))]
    [InlineData(nameof(Branin))]
    public void Tpe_FindsABetterOptimumThanRandomOnAverage(string objectiveName)
    {
        Func<Dictionary<string, double>, double> objective = objectiveName == nameof(Branin) ? Branin : Quadratic;
        var space = objectiveName == nameof(Branin) ? BraninSpace : Bowl;
        const int seeds = 20, budget = 40;

        var tpe = Enumerable.Range(0, seeds).Average(s => Run(new TpeSearch(space, s, 1), objective, budget).Max(t => t.Score));
        var random = Enumerable.Range(0, seeds).Average(s => Run(new RandomSearch(space, s, 1), objective, budget).Max(t => t.Score));

        Assert.True(tpe > random, $"TPE mean best {tpe:F4} vs random {random:F4}");
    }

    [Fact]
    public void Hyperband_ScheduleMatchesThePublishedTable()
    {
        // Li et al. 2018, Table 1: R = 81, η = 3.
        var rungs = Hyperband.Schedule(81, 3, 4);

        (int N, double R)[][] expected =
        [
            [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
            [(34, 3), (11, 9), (3, 27), (1, 81)],
            [(15, 9), (5, 27), (1, 81)],
            [(8, 27), (2, 81)],
            [(5, 81)],
        ];
        Assert.Equal(expected.SelectMany(b => b), rungs.Select(r => (r.Configurations, r.Resource)));
    }

    [Fact]
    public void Hyperband_PromotesTheTopOfEachRung()
    {
        var hyperband = new Hyperband(Bowl, 3, 81, eta: 3, minResource: 1);

        var history = Run(hyperband, Quadratic, int.MaxValue, concurrency: 2);

        Assert.Equal(hyperband.Rungs.Sum(r => r.Configurations), history.Count);
        var firstRung = history.Where(h => h.Trial.Bracket == 4 && h.Trial.Rung == 0).ToList();
        var secondRung = history.Where(h => h.Trial.Bracket == 4 && h.Trial.Rung == 1).ToList();
        var top27 = firstRung.OrderByDescending(h => h.Score).Take(27).Select(h => h.Trial.Parameters["x"]).Order();
        Assert.Equal(top27, secondRung.Select(h => h.Trial.Parameters["x"]).Order());
        Assert.All(secondRung, h => Assert.Equal(3, h.Trial.Resource));
        Assert.Equal(81, history.Single(h => h.Trial.Bracket == 4 && h.Trial.Rung == 4).Trial.Resource);
    }
}
