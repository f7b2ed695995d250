using System.Buffers;
using System.Numerics;

namespace MlLifecycle.Core.Data;

/// <summary>
/// Buffers for a column's values while a transform or a drift profile is fitted (at most <see cref="Training.TrainedModel.FitRows"/>
/// long). At most two of each size are kept between uses: the shared pool keeps several per core, which for a
/// million-row table held over 100 MB of idle buffers.
/// </summary>
internal static class ColumnBuffers
{
    public static readonly ArrayPool<double> Doubles = ArrayPool<double>.Create(1 << 30, 2);

    public static readonly ArrayPool<float> Floats = ArrayPool<float>.Create(1 << 30, 2);

    /// <summary>The finite values among <paramref name="values"/>, sorted, in a buffer rented from <see cref="Doubles"/> (return it there).</summary>
    public static (double[] Buffer, int Count) SortedFinite<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        var buffer = Doubles.Rent(Math.Max(1, values.Length));
        var count = 0;
        foreach (var v in values)
        {
            if (T.IsFinite(v))
            {
                buffer[count++] = double.CreateTruncating(v);
            }
        }

        buffer.AsSpan(0, count).Sort();
        return (buffer, count);
    }
}
