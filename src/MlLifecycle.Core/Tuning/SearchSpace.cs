using System.Text.Json.Serialization;

namespace MlLifecycle.Core.Tuning;

/// <summary>One hyperparameter: a numeric range (optionally log-scaled or integer) or a list of choices.</summary>
/// <param name="Name">Trainer option, e.g. <c>learningRate</c>.</param>
/// <param name="Min">Lower bound (ranges).</param>
/// <param name="Max">Upper bound (ranges).</param>
/// <param name="Log">Sample uniformly in log space.</param>
/// <param name="Integer">Round to an integer.</param>
/// <param name="Choices">Allowed values instead of a range.</param>
public sealed record ParamRange(string Name, double Min = 0, double Max = 0, bool Log = false, bool Integer = false, IReadOnlyList<double>? Choices = null)
{
    /// <summary>Maps u ∈ [0, 1] to a value of the parameter.</summary>
    public double FromUnit(double u)
    {
        u = Math.Clamp(u, 0, 1);
        if (Choices is { Count: > 0 } choices)
        {
            return choices[Math.Min(choices.Count - 1, (int)(u * choices.Count))];
        }

        var value = Log ? Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min))) : Min + u * (Max - Min);
        return Integer ? Math.Round(value) : value;
    }

    /// <summary>Maps a value back to [0, 1] (the space TPE models densities in).</summary>
    public double ToUnit(double value)
    {
        if (Choices is { Count: > 0 } choices)
        {
            var index = choices.ToList().IndexOf(value);
            return (Math.Max(0, index) + 0.5) / choices.Count;
        }

        if (Max == Min)
        {
            return 0.5;
        }

        return Math.Clamp(Log ? (Math.Log(value) - Math.Log(Min)) / (Math.Log(Max) - Math.Log(Min)) : (value - Min) / (Max - Min), 0, 1);
    }
}

/// <summary>The hyperparameters a tuner searches, and the one that is the resource (boosting rounds or trees).</summary>
public sealed record SearchSpace(IReadOnlyList<ParamRange> Parameters, string? ResourceParameter = null)
{
    [JsonIgnore]
    public IReadOnlyList<ParamRange> Searched => Parameters.Where(p => p.Name != ResourceParameter).ToList();

    /// <summary>The trainer's default space with the spec's ranges replacing or adding parameters.</summary>
    public static SearchSpace For(string trainer, IReadOnlyDictionary<string, ParamRange>? overrides)
    {
        var space = Default(trainer);
        if (overrides is null)
        {
            return space;
        }

        var parameters = space.Parameters.Where(p => !overrides.ContainsKey(p.Name)).Concat(overrides.Select(o => o.Value with { Name = o.Key })).ToList();
        return space with { Parameters = parameters };
    }

    /// <summary>A trial's trainer options: its parameters plus the resource under the resource parameter's name.</summary>
    public Dictionary<string, double> Options(Trial trial)
    {
        var options = new Dictionary<string, double>(trial.Parameters, StringComparer.Ordinal);
        if (ResourceParameter is { } resource)
        {
            options[resource] = trial.Resource;
        }

        return options;
    }

    public Dictionary<string, double> Sample(Random random) =>
        Searched.ToDictionary(p => p.Name, p => p.FromUnit(random.NextDouble()), StringComparer.Ordinal);

    /// <summary>
    /// Every option a space may name: the default spaces' parameters, LightGBM's <c>minimumChildWeight</c> and
    /// <see cref="Training.Trainers.ClassWeightPower"/> (classification, any trainer; 0 = unweighted, 1 = balanced).
    /// </summary>
    public static IReadOnlySet<string> OptionNames { get; } = Training.Trainers.All
        .SelectMany(t => Default(t).Parameters.Select(p => p.Name))
        .Append("minimumChildWeight").Append(Training.Trainers.ClassWeightPower)
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Default spaces of the candidate trainers (ranges in the spirit of LightGBM's and Optuna's guides).</summary>
    public static SearchSpace Default(string trainer) => trainer switch
    {
        Training.Trainers.LightGbm => new(
        [
            new("learningRate", 0.01, 0.3, Log: true),
            new("numberOfLeaves", 4, 128, Log: true, Integer: true),
            new("minimumExampleCountPerLeaf", 2, 64, Log: true, Integer: true),
            new("l2Regularization", 1e-4, 10, Log: true),
            new("l1Regularization", 1e-4, 10, Log: true),
            new("featureFraction", 0.5, 1.0),
            new("numberOfIterations", 50, 500, Integer: true),
        ], "numberOfIterations"),
        Training.Trainers.FastTree => new(
        [
            new("learningRate", 0.02, 0.3, Log: true),
            new("numberOfLeaves", 4, 128, Log: true, Integer: true),
            new("minimumExampleCountPerLeaf", 2, 64, Log: true, Integer: true),
            new("featureFraction", 0.5, 1.0),
            new("numberOfTrees", 50, 500, Integer: true),
        ], "numberOfTrees"),
        Training.Trainers.FastForest => new(
        [
            new("numberOfLeaves", 4, 128, Log: true, Integer: true),
            new("minimumExampleCountPerLeaf", 2, 64, Log: true, Integer: true),
            new("featureFraction", 0.3, 1.0),
            new("numberOfTrees", 50, 500, Integer: true),
        ], "numberOfTrees"),
        _ => new(
        [
            new("l2Regularization", 1e-4, 10, Log: true),
            new("l1Regularization", 1e-4, 10, Log: true),
        ]),
    };
}
