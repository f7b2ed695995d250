using System.Buffers;

namespace MlLifecycle.Core.Data;

/// <summary>
/// Buffers for a model input's values while its transform is fitted (at most <see cref="Training.TrainedModel.FitRows"/>
/// long). At most two of each size are kept between uses: the shared pool keeps several per core, which for a
/// million-row table held over 100 MB of idle buffers.
/// </summary>
internal static class ColumnBuffers
{
    public static readonly ArrayPool<double> Doubles = ArrayPool<double>.Create(1 << 30, 2);

    public static readonly ArrayPool<float> Floats = ArrayPool<float>.Create(1 << 30, 2);
}
