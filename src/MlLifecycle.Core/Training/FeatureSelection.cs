using System.Globalization;
using System.Runtime.InteropServices;
using MlLifecycle.Core.Spec;

namespace MlLifecycle.Core.Training;

/// <summary>One model input offered to selection, with one value per training row; exactly one list is non-null.</summary>
/// <param name="Name">Model input column (e.g. <c>f3</c> or <c>f5_month</c>).</param>
/// <param name="Numbers">Numeric values (NaN = missing).</param>
/// <param name="Categories">Category values (<c>""</c> = missing).</param>
public sealed record SelectionCandidate(string Name, IReadOnlyList<float>? Numbers, IReadOnlyList<string>? Categories);

/// <summary>What selection decided for one input.</summary>
/// <param name="MutualInformation">Bias-corrected mutual information with the label (nats, at least 0).</param>
/// <param name="Dropped">Why the input was dropped, or null when it was kept.</param>
public sealed record SelectionDecision(string Name, double MutualInformation, string? Dropped);

/// <summary>The outcome of selection.</summary>
/// <param name="Kept">Kept input names, in the candidates' original order.</param>
/// <param name="Decisions">A decision for every candidate, by mutual information descending (ties: original order).</param>
public sealed record SelectionResult(IReadOnlyList<string> Kept, IReadOnlyList<SelectionDecision> Decisions);

/// <summary>
/// Filter-style feature selection fitted on training rows: drops near-constant inputs, then the less informative of
/// two highly correlated numeric inputs, then inputs below a mutual-information floor or outside the top k.
/// </summary>
public static class FeatureSelection
{
    /// <summary>Equal-frequency bins for numeric inputs and numeric labels (missing values get one more code).</summary>
    private const int Bins = 10;

    /// <summary>Rows used for correlations; more are sampled evenly, which keeps 500 inputs × 10 000 rows quick.</summary>
    private const int CorrelationRows = 5000;

    /// <summary>Selects inputs per <paramref name="spec"/>; never drops every candidate.</summary>
    /// <param name="labels">Raw label of every training row (the candidates' lists have the same length).</param>
    /// <param name="numericLabel">Whether labels are numbers (regression), binned into equal-frequency bins; otherwise every distinct label is a class.</param>
    public static SelectionResult Select(IReadOnlyList<SelectionCandidate> candidates, IReadOnlyList<string> labels, bool numericLabel, SelectionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(spec);
        Validate(candidates, labels.Count, spec);

        var mi = MutualInformations(candidates, labels, numericLabel);
        var byMi = Enumerable.Range(0, candidates.Count).OrderByDescending(i => mi[i]).ToArray();
        var dropped = candidates.Select(c => NearConstant(c, spec.NearConstant)).ToArray();
        var nearConstant = dropped.Select(d => d is not null).ToArray();

        DropCorrelated(candidates, byMi, dropped, spec.Correlation);
        foreach (var i in byMi.Where(i => dropped[i] is null && mi[i] < spec.MinMutualInformation))
        {
            dropped[i] = $"mutual information {G(mi[i])} below {G(spec.MinMutualInformation)}";
        }

        if (spec.TopK is { } k)
        {
            foreach (var i in byMi.Where(i => dropped[i] is null).Skip(k).ToList())
            {
                dropped[i] = $"not in the top {k} by mutual information";
            }
        }

        if (candidates.Count > 0 && dropped.All(d => d is not null))
        {
            dropped[byMi.Where(i => !nearConstant[i]).DefaultIfEmpty(byMi[0]).First()] = null;
        }

        return new SelectionResult(
            Enumerable.Range(0, candidates.Count).Where(i => dropped[i] is null).Select(i => candidates[i].Name).ToList(),
            byMi.Select(i => new SelectionDecision(candidates[i].Name, mi[i], dropped[i])).ToList());
    }

    /// <summary>Each candidate's mutual information with the label (numbers and a numeric label in quantile bins), in nats.</summary>
    public static double[] MutualInformations(IReadOnlyList<SelectionCandidate> candidates, IReadOnlyList<string> labels, bool numericLabel)
    {
        var y = numericLabel
            ? BinCodes(labels.Select(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray())
            : CategoryCodes(labels);
        return [.. candidates.Select(c => MutualInformation(Codes(c), y))];
    }

    /// <summary>
    /// Mutual information of two discrete codings of the same rows, in nats: the plug-in estimate minus the
    /// Miller–Madow correction (Kx − 1)(Ky − 1) / 2N, where K counts the codes that occur; clamped at 0.
    /// </summary>
    public static double MutualInformation(IReadOnlyList<int> x, IReadOnlyList<int> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"The codings have different lengths ({x.Count} and {y.Count}).", nameof(y));
        }

        var n = x.Count;
        Dictionary<int, int> countX = [], countY = [];
        Dictionary<(int, int), int> joint = [];
        for (var i = 0; i < n; i++)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(countX, x[i], out _)++;
            CollectionsMarshal.GetValueRefOrAddDefault(countY, y[i], out _)++;
            CollectionsMarshal.GetValueRefOrAddDefault(joint, (x[i], y[i]), out _)++;
        }

        var plugIn = 0.0;
        foreach (var ((a, b), count) in joint)
        {
            plugIn += count * Math.Log((double)count * n / ((double)countX[a] * countY[b]));
        }

        return n == 0 ? 0 : Math.Max(0, plugIn / n - (countX.Count - 1) * (countY.Count - 1) / (2.0 * n));
    }

    private static void Validate(IReadOnlyList<SelectionCandidate> candidates, int rows, SelectionSpec spec)
    {
        foreach (var c in candidates)
        {
            if (c is null)
            {
                throw new ArgumentException("Candidates must not contain null.", nameof(candidates));
            }

            if ((c.Numbers is null) == (c.Categories is null))
            {
                throw new ArgumentException($"Candidate '{c.Name}' must have exactly one of Numbers or Categories.", nameof(candidates));
            }

            var count = c.Numbers?.Count ?? c.Categories!.Count;
            if (count != rows)
            {
                throw new ArgumentException($"Candidate '{c.Name}' has {count} values but there are {rows} labels.", nameof(candidates));
            }
        }

        if (spec.TopK < 1)
        {
            throw new ArgumentException($"TopK must be at least 1 (was {spec.TopK}).", nameof(spec));
        }
    }

    private static int[] Codes(SelectionCandidate c) =>
        c.Numbers is { } numbers ? BinCodes(numbers.Select(v => (double)v).ToArray()) : CategoryCodes(c.Categories!);

    private static int[] CategoryCodes(IReadOnlyList<string> values)
    {
        Dictionary<string, int> codes = new(StringComparer.Ordinal);
        return values.Select(v => codes.TryGetValue(v, out var code) ? code : codes[v] = codes.Count).ToArray();
    }

    /// <summary>
    /// Equal-frequency bins of the finite values by rank; every value goes to the bin of its first rank, so ties
    /// never straddle bins (a 0/1 column gets two codes). Missing values get code <see cref="Bins"/>.
    /// </summary>
    private static int[] BinCodes(double[] values)
    {
        var rows = Enumerable.Range(0, values.Length).Where(i => double.IsFinite(values[i])).ToArray();
        Array.Sort(rows.Select(i => values[i]).ToArray(), rows);
        var codes = Enumerable.Repeat(Bins, values.Length).ToArray();
        var first = 0;
        for (var rank = 0; rank < rows.Length; rank++)
        {
            if (values[rows[rank]] != values[rows[first]])
            {
                first = rank;
            }

            codes[rows[rank]] = (int)((long)first * Bins / rows.Length);
        }

        return codes;
    }

    /// <summary>Why a candidate is near-constant, or null. Missing values count as one value (NaN equals NaN here).</summary>
    private static string? NearConstant(SelectionCandidate c, double threshold)
    {
        var rows = c.Numbers?.Count ?? c.Categories!.Count;
        if (rows == 0)
        {
            return null;
        }

        string value;
        int count;
        if (c.Numbers is { } numbers)
        {
            (var number, count) = numbers.CountBy(v => v).MaxBy(p => p.Value);
            value = float.IsNaN(number) ? "missing" : number.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            (var category, count) = c.Categories!.CountBy(v => v, StringComparer.Ordinal).MaxBy(p => p.Value);
            value = category.Length == 0 ? "missing" : $"\"{category}\"";
        }

        if ((double)count / rows < threshold)
        {
            return null;
        }

        // Rounded down, so only a truly constant input reads 100%.
        var percent = (count * 1000L / rows / 10.0).ToString("0.#", CultureInfo.InvariantCulture);
        return $"near-constant: {percent}% of rows are {value}";
    }

    /// <summary>
    /// Visits numeric inputs not yet dropped by mutual information descending, keeping each unless it correlates at
    /// least <paramref name="threshold"/> (absolute Pearson r) with an input already kept.
    /// </summary>
    private static void DropCorrelated(IReadOnlyList<SelectionCandidate> candidates, int[] byMi, string?[] dropped, double threshold)
    {
        var rows = candidates.Count == 0 ? 0 : candidates[0].Numbers?.Count ?? candidates[0].Categories!.Count;
        var size = Math.Min(rows, CorrelationRows);
        var sample = Enumerable.Range(0, size).Select(k => (int)((long)k * rows / size)).ToArray();
        List<(string Name, CorrelationColumn Column)> kept = [];
        foreach (var i in byMi.Where(i => dropped[i] is null && candidates[i].Numbers is not null))
        {
            var column = CorrelationColumn.Of(candidates[i].Numbers!, sample);
            foreach (var (name, other) in kept)
            {
                if (column.Correlation(other) is { } r && Math.Abs(r) >= threshold)
                {
                    dropped[i] = $"duplicate of {name} (r = {r.ToString("0.###", CultureInfo.InvariantCulture)})";
                    break;
                }
            }

            if (dropped[i] is null)
            {
                kept.Add((candidates[i].Name, column));
            }
        }
    }

    private static string G(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>
    /// A column's sampled values (NaN = missing). A complete column is standardized once (mean 0, norm 1), so its
    /// correlation with another complete column is one dot product; other pairs use the rows where both are finite.
    /// </summary>
    private sealed record CorrelationColumn(double[] Values, bool Complete, bool Varies)
    {
        public static CorrelationColumn Of(IReadOnlyList<float> numbers, int[] sample)
        {
            var values = sample.Select(r => float.IsFinite(numbers[r]) ? numbers[r] : double.NaN).ToArray();
            var finite = values.Where(double.IsFinite).ToArray();
            var varies = finite.Length >= 3 && finite.Min() != finite.Max();
            if (!varies || finite.Length != values.Length)
            {
                return new CorrelationColumn(values, false, varies);
            }

            var mean = values.Average();
            var norm = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)));
            return new CorrelationColumn(values.Select(v => (v - mean) / norm).ToArray(), true, true);
        }

        /// <summary>Pearson r, or null when fewer than 3 rows have both values or either side is constant on them.</summary>
        public double? Correlation(CorrelationColumn other)
        {
            if (!Varies || !other.Varies)
            {
                return null;
            }

            var (a, b) = (Values, other.Values);
            if (Complete && other.Complete)
            {
                var dot = 0.0;
                for (var k = 0; k < a.Length; k++)
                {
                    dot += a[k] * b[k];
                }

                return dot;
            }

            // Two passes over the rows where both are finite; the first also checks that both vary there.
            var (n, sumA, sumB, firstA, firstB, variesA, variesB) = (0, 0.0, 0.0, 0.0, 0.0, false, false);
            for (var k = 0; k < a.Length; k++)
            {
                if (double.IsFinite(a[k]) && double.IsFinite(b[k]))
                {
                    if (n++ == 0)
                    {
                        (firstA, firstB) = (a[k], b[k]);
                    }

                    (sumA, sumB) = (sumA + a[k], sumB + b[k]);
                    variesA |= a[k] != firstA;
                    variesB |= b[k] != firstB;
                }
            }

            if (n < 3 || !variesA || !variesB)
            {
                return null;
            }

            var (meanA, meanB, saa, sbb, sab) = (sumA / n, sumB / n, 0.0, 0.0, 0.0);
            for (var k = 0; k < a.Length; k++)
            {
                if (double.IsFinite(a[k]) && double.IsFinite(b[k]))
                {
                    var (da, db) = (a[k] - meanA, b[k] - meanB);
                    (saa, sbb, sab) = (saa + da * da, sbb + db * db, sab + da * db);
                }
            }

            return sab / Math.Sqrt(saa * sbb);
        }
    }
}
