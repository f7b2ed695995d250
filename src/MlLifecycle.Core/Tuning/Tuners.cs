using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Tuning;

/// <summary>A configuration to train: parameters, the resource to give it, and its place in a Hyperband bracket.</summary>
public sealed record Trial(int Id, Dictionary<string, double> Parameters, double Resource, int Bracket = 0, int Rung = 0);

/// <summary>A finished trial. <paramref name="Score"/> is higher-is-better (lower-is-better metrics are negated).</summary>
public sealed record TrialOutcome(Trial Trial, double Score);

/// <summary>
/// A search strategy as a pure function of its seed and the finished trials: replaying the same history gives the same
/// proposals, which is what lets a Durable orchestrator drive it.
/// </summary>
public interface ITuner
{
    /// <summary>The next trials to run (all of them may run in parallel); empty when the search is complete.</summary>
    IReadOnlyList<Trial> NextWave(IReadOnlyList<TrialOutcome> history, int concurrency);
}

public static class Tuners
{
    /// <summary>Seeds a trial's random stream from the tuner seed and the trial's coordinates.</summary>
    public static Random Stream(int seed, params int[] coordinates) =>
        new(coordinates.Aggregate(seed, (h, c) => unchecked((h * 486187739) + c + 0x5bd1e995)));

    public static ITuner Create(TuningStrategy strategy, SearchSpace space, int seed, TuningSpec tuning) => strategy switch
    {
        TuningStrategy.Grid => new GridSearch(space, tuning.GridPoints, tuning.MaxResource),
        TuningStrategy.Random => new RandomSearch(space, seed, tuning.MaxResource),
        TuningStrategy.Tpe => new TpeSearch(space, seed, tuning.MaxResource),
        // Without a resource (the linear trainer) every rung would retrain the same model: search randomly instead.
        TuningStrategy.Hyperband when space.ResourceParameter is null => new RandomSearch(space, seed, tuning.MaxResource),
        TuningStrategy.Hyperband => new Hyperband(space, seed, tuning.MaxResource, tuning.Eta, tuning.MinResource),
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "No tuner for this strategy."),
    };
}

/// <summary>Every combination of <c>points</c> evenly spaced values per parameter (log-spaced on log ranges; all choices).</summary>
public sealed class GridSearch(SearchSpace space, int points, double resource) : ITuner
{
    public IReadOnlyList<Dictionary<string, double>> Points { get; } = Enumerate(space, points);

    public IReadOnlyList<Trial> NextWave(IReadOnlyList<TrialOutcome> history, int concurrency) =>
        Points.Skip(history.Count).Take(concurrency).Select((p, i) => new Trial(history.Count + i, p, resource)).ToList();

    private static List<Dictionary<string, double>> Enumerate(SearchSpace space, int points)
    {
        IEnumerable<Dictionary<string, double>> grid = [new Dictionary<string, double>(StringComparer.Ordinal)];
        foreach (var parameter in space.Searched)
        {
            var values = parameter.Choices ?? Enumerable.Range(0, points).Select(i => parameter.FromUnit(points == 1 ? 0.5 : i / (points - 1.0))).Distinct().ToList();
            grid = grid.SelectMany(g => values.Select(v => new Dictionary<string, double>(g, StringComparer.Ordinal) { [parameter.Name] = v })).ToList();
        }

        return grid.ToList();
    }
}

/// <summary>Independent uniform samples (log-uniform on log ranges); trial i depends only on the seed and i.</summary>
public sealed class RandomSearch(SearchSpace space, int seed, double resource) : ITuner
{
    public IReadOnlyList<Trial> NextWave(IReadOnlyList<TrialOutcome> history, int concurrency) =>
        Enumerable.Range(history.Count, concurrency).Select(i => new Trial(i, space.Sample(Tuners.Stream(seed, i)), resource)).ToList();
}

/// <summary>
/// Tree-structured Parzen Estimator (Bergstra et al. 2011), chosen over a Gaussian process because it handles log,
/// integer and choice parameters natively, costs O(n) per proposal and parallelizes by sampling a batch. After
/// <see cref="StartupTrials"/> random trials, the history splits into the best γ share (l) and the rest (g); per
/// parameter a Gaussian mixture in unit space is fitted to each (plus a uniform prior), candidates are drawn from l,
/// and the candidate maximizing Π l(x)/g(x) is proposed. A batch draws each proposal from its own random stream.
/// </summary>
public sealed class TpeSearch(SearchSpace space, int seed, double resource) : ITuner
{
    public const int StartupTrials = 10;
    public const double Gamma = 0.25;
    public const int Candidates = 24;

    public IReadOnlyList<Trial> NextWave(IReadOnlyList<TrialOutcome> history, int concurrency) =>
        Enumerable.Range(history.Count, concurrency).Select(i => new Trial(i, Propose(history, i), resource)).ToList();

    private Dictionary<string, double> Propose(IReadOnlyList<TrialOutcome> history, int id)
    {
        var random = Tuners.Stream(seed, id);
        if (history.Count < StartupTrials)
        {
            return space.Sample(random);
        }

        var sorted = history.OrderByDescending(h => h.Score).ToList();
        var nGood = Math.Max(1, (int)Math.Ceiling(Gamma * sorted.Count));
        var good = sorted.Take(nGood).ToList();
        var bad = sorted.Skip(nGood).ToList();
        var parameters = space.Searched;
        double[][] Unit(List<TrialOutcome> outcomes) => parameters.Select(p => outcomes.Select(o => p.ToUnit(o.Trial.Parameters[p.Name])).ToArray()).ToArray();
        var goodUnits = Unit(good);
        var badUnits = Unit(bad);
        Dictionary<string, double>? best = null;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            var candidate = new Dictionary<string, double>(StringComparer.Ordinal);
            var logRatio = 0.0;
            for (var d = 0; d < parameters.Count; d++)
            {
                var x = SampleMixture(goodUnits[d], random);
                var value = parameters[d].FromUnit(x);
                var u = parameters[d].ToUnit(value);
                logRatio += Math.Log(Density(goodUnits[d], u)) - Math.Log(Density(badUnits[d], u));
                candidate[parameters[d].Name] = value;
            }

            if (logRatio > bestScore)
            {
                (best, bestScore) = (candidate, logRatio);
            }
        }

        return best!;
    }

    /// <summary>
    /// Adaptive Parzen estimator of the original TPE: one Gaussian per point whose width is its larger gap to a
    /// neighbour (the bounds 0 and 1 count as neighbours), clipped to [1 / min(100, n + 1), 1], plus a uniform prior.
    /// Wide kernels where points are sparse keep the search exploring.
    /// </summary>
    private static (double[] Mu, double[] Sigma) Parzen(double[] points)
    {
        var mu = points.Order().ToArray();
        var sigma = new double[mu.Length];
        var floor = 1.0 / Math.Min(100, mu.Length + 1);
        for (var i = 0; i < mu.Length; i++)
        {
            var left = mu[i] - (i == 0 ? 0 : mu[i - 1]);
            var right = (i == mu.Length - 1 ? 1 : mu[i + 1]) - mu[i];
            sigma[i] = Math.Clamp(Math.Max(left, right), floor, 1);
        }

        return (mu, sigma);
    }

    private static double Density(double[] points, double x)
    {
        var (mu, sigma) = Parzen(points);
        var sum = 0.0;
        for (var i = 0; i < mu.Length; i++)
        {
            var z = (x - mu[i]) / sigma[i];
            sum += Math.Exp(-0.5 * z * z) / (sigma[i] * Math.Sqrt(2 * Math.PI));
        }

        return (sum + 1.0) / (mu.Length + 1);
    }

    private static double SampleMixture(double[] points, Random random)
    {
        var (mu, sigma) = Parzen(points);
        var k = random.Next(mu.Length + 1);
        if (k == mu.Length)
        {
            return random.NextDouble();
        }

        // Box-Muller normal around the chosen point, clipped to [0, 1].
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return Math.Clamp(mu[k] + sigma[k] * normal, 0, 1);
    }
}

/// <summary>One rung of a Hyperband bracket: how many configurations get how much resource.</summary>
public sealed record Rung(int Bracket, int Index, int Configurations, double Resource);

/// <summary>
/// Hyperband (Li et al. 2018): brackets s = s_max … 0 of successive halving; bracket s starts
/// n = ⌈(s_max + 1) / (s + 1) · η^s⌉ configurations at resource R·η^−s and keeps the best ⌊n_i / η⌋ of each rung,
/// multiplying their resource by η. Each rung is one wave of parallel trials.
/// </summary>
public sealed class Hyperband : ITuner
{
    private readonly SearchSpace _space;
    private readonly int _seed;

    public Hyperband(SearchSpace space, int seed, double maxResource, int eta = 3, double? minResource = null)
    {
        (_space, _seed) = (space, seed);
        var min = minResource ?? maxResource / Math.Pow(eta, 4);
        var sMax = (int)Math.Floor(Math.Log(maxResource / min, eta) + 1e-9);
        Rungs = Schedule(maxResource, eta, sMax);
    }

    /// <summary>All rungs, in the order they run.</summary>
    public IReadOnlyList<Rung> Rungs { get; }

    public static List<Rung> Schedule(double maxResource, int eta, int sMax)
    {
        List<Rung> rungs = [];
        for (var s = sMax; s >= 0; s--)
        {
            var n = (int)Math.Ceiling((sMax + 1.0) / (s + 1) * Math.Pow(eta, s));
            var r = maxResource * Math.Pow(eta, -s);
            for (var i = 0; i <= s; i++)
            {
                rungs.Add(new Rung(s, i, (int)Math.Floor(n * Math.Pow(eta, -i)), r * Math.Pow(eta, i)));
            }
        }

        return rungs;
    }

    public IReadOnlyList<Trial> NextWave(IReadOnlyList<TrialOutcome> history, int concurrency)
    {
        var done = history.Select(h => (h.Trial.Bracket, h.Trial.Rung)).ToHashSet();
        var next = Rungs.FirstOrDefault(r => !done.Contains((r.Bracket, r.Index)));
        if (next is null)
        {
            return [];
        }

        var id = history.Count;
        if (next.Index == 0)
        {
            return Enumerable.Range(0, next.Configurations)
                .Select(c => new Trial(id + c, _space.Sample(Tuners.Stream(_seed, next.Bracket, c)), Math.Round(next.Resource), next.Bracket, 0))
                .ToList();
        }

        // Promote the best configurations of the previous rung of this bracket.
        return history.Where(h => h.Trial.Bracket == next.Bracket && h.Trial.Rung == next.Index - 1)
            .OrderByDescending(h => h.Score).ThenBy(h => h.Trial.Id)
            .Take(next.Configurations)
            .Select((h, c) => new Trial(id + c, h.Trial.Parameters, Math.Round(next.Resource), next.Bracket, next.Index))
            .ToList();
    }
}
