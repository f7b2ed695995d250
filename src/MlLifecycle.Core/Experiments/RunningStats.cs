using System.Text.Json.Serialization;

namespace MlLifecycle.Core.Experiments;

/// <summary>
/// Count, mean and sum of squared deviations (M2) of a stream of outcomes, updated one value at a time (Welford) and
/// merged across batches or shards (Chan et al.) without keeping the values. <c>default</c> is the empty stream.
/// MathNet's <c>RunningStatistics</c> does the same but cannot be rebuilt from persisted moments, hence this record.
/// </summary>
/// <param name="M2">Σ (x − mean)²; the sample variance is M2 / (Count − 1).</param>
public readonly record struct RunningStats(long Count, double Mean, double M2)
{
    /// <summary>Sample variance (n − 1); 0 for fewer than two values.</summary>
    [JsonIgnore]
    public double Variance => Count > 1 ? M2 / (Count - 1) : 0;

    /// <summary>Variance of the mean (the squared standard error): Variance / Count; 0 for no values.</summary>
    [JsonIgnore]
    public double VarianceOfMean => Count > 0 ? Variance / Count : 0;

    public static RunningStats Of(IEnumerable<double> values) => values.Aggregate(default(RunningStats), (s, x) => s.Add(x));

    public RunningStats Add(double x)
    {
        var count = Count + 1;
        var delta = x - Mean;
        var mean = Mean + delta / count;
        return new(count, mean, M2 + delta * (x - mean));
    }

    /// <summary>The statistics of both streams together, as if every value had been added to one.</summary>
    public RunningStats Merge(RunningStats other)
    {
        if (other.Count == 0)
        {
            return this;
        }

        if (Count == 0)
        {
            return other;
        }

        var count = Count + other.Count;
        var delta = other.Mean - Mean;
        return new(count, Mean + delta * other.Count / count, M2 + other.M2 + delta * delta * Count * other.Count / count);
    }
}
