using System.Diagnostics;
using Apache.Arrow;
using Apache.Arrow.Types;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Bench;

/// <summary>
/// The column representation, measured: a column of doubles (a tenth missing) and a column of dictionary codes
/// (60 levels, a tenth missing) appended a value at a time, as the table reader appends them while it streams a file
/// of unknown length, then read back through a shuffled index (a fold's rows over the table) — the product's
/// <see cref="Blocks{T}"/> (missing as NaN and −1) against Apache.Arrow's builders and arrays (a validity bitmap).
/// Time, the growth of the process's peak resident set while building, and what the built column holds.
/// </summary>
public static class ColumnsBench
{
    public sealed record Result(string Representation, string Column, double BuildSeconds, double PeakMb, double HeldMb, double GatherSeconds, double Checksum);

    public static IReadOnlyList<Result> Run(int rows, TextWriter log)
    {
        var random = new Random(7);
        var numbers = new double[rows];
        var codes = new int[rows];
        for (var i = 0; i < rows; i++)
        {
            var missing = random.Next(10) == 0;
            numbers[i] = missing ? double.NaN : random.NextDouble();
            codes[i] = missing ? -1 : random.Next(60);
        }

        var order = Enumerable.Range(0, rows).ToArray();
        random.Shuffle(order);
        List<Result> results =
        [
            Measure("ours (blocks, NaN)", "doubles", () => Ours(numbers), column => Sum(column, order), _ => { }),
            Measure("Apache.Arrow 23 (builder, bitmap)", "doubles", () => Arrow(numbers), column => Sum(column, order), column => column.Dispose()),
            Measure("ours (blocks, −1)", "codes", () => Ours(codes), column => Sum(column, order), _ => { }),
            Measure("Apache.Arrow 23 (dictionary array)", "codes", () => Arrow(codes), column => Sum(column, order), column => column.Dispose()),
        ];
        foreach (var r in results)
        {
            log.WriteLine($"{r.Column,-8} {r.Representation,-36} build {r.BuildSeconds:F2} s, peak +{r.PeakMb:F0} MB, holds {r.HeldMb:F0} MB, gather {r.GatherSeconds:F2} s (checksum {r.Checksum:F3})");
        }

        return results;
    }

    private static Blocks<T> Ours<T>(T[] values)
    {
        var blocks = new Blocks<T>();
        foreach (var v in values)
        {
            blocks.Add(v);
        }

        return blocks;
    }

    private static DoubleArray Arrow(double[] values)
    {
        var builder = new DoubleArray.Builder();
        foreach (var v in values)
        {
            if (double.IsNaN(v))
            {
                builder.AppendNull();
            }
            else
            {
                builder.Append(v);
            }
        }

        return builder.Build();
    }

    private static DictionaryArray Arrow(int[] values)
    {
        var indices = new Int32Array.Builder();
        foreach (var v in values)
        {
            if (v < 0)
            {
                indices.AppendNull();
            }
            else
            {
                indices.Append(v);
            }
        }

        var dictionary = new StringArray.Builder().AppendRange(Enumerable.Range(0, 60).Select(i => $"level-{i}")).Build();
        return new DictionaryArray(new DictionaryType(Int32Type.Default, StringType.Default, false), indices.Build(), dictionary);
    }

    private static double Sum(Blocks<double> column, int[] order)
    {
        var sum = 0.0;
        foreach (var row in order)
        {
            var v = column[row];
            if (!double.IsNaN(v))
            {
                sum += v;
            }
        }

        return sum;
    }

    private static double Sum(DoubleArray column, int[] order)
    {
        var sum = 0.0;
        foreach (var row in order)
        {
            if (column.GetValue(row) is { } v)
            {
                sum += v;
            }
        }

        return sum;
    }

    private static double Sum(Blocks<int> column, int[] order)
    {
        long sum = 0;
        foreach (var row in order)
        {
            var code = column[row];
            if (code >= 0)
            {
                sum += code;
            }
        }

        return sum;
    }

    private static double Sum(DictionaryArray column, int[] order)
    {
        var indices = (Int32Array)column.Indices;
        long sum = 0;
        foreach (var row in order)
        {
            if (indices.GetValue(row) is { } code)
            {
                sum += code;
            }
        }

        return sum;
    }

    private static Result Measure<T>(string representation, string column, Func<T> build, Func<T, double> gather, Action<T> release)
    {
        Settle();
        var before = Resident();
        ResetPeak();
        var stopwatch = Stopwatch.StartNew();
        var built = build();
        var buildSeconds = stopwatch.Elapsed.TotalSeconds;
        var peak = Peak();
        Settle();
        var held = Resident() - before;
        stopwatch.Restart();
        var checksum = gather(built);
        var gatherSeconds = stopwatch.Elapsed.TotalSeconds;
        release(built);
        GC.KeepAlive(built);
        return new Result(representation, column, buildSeconds, (peak - before) / 1e6, held / 1e6, gatherSeconds, checksum);
    }

    private static void Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    /// <summary>Resets the peak resident set (VmHWM) of this process (Linux: <c>/proc/self/clear_refs</c>).</summary>
    private static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long Resident() => Status("VmRSS:");

    private static long Peak() => Status("VmHWM:");

    private static long Status(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim().Split(' ')[0]) * 1024;
}
