using System.Globalization;

namespace MlLifecycle.Core.Data;

/// <summary>
/// The memory a run may use (<c>MlLifecycle:MemoryBudgetMb</c>: the instance it runs on), and the estimate of what a
/// table of a shape needs at a run's peak, so a dataset too large is refused when it is opened, with its size and the
/// budget, not killed for want of memory half-way through. The estimate's terms are measured (bench/README.md,
/// <i>Memory</i>): the process before any data, the table, and the two trainings on every row that run side by side
/// (the evaluated model and the one served).
/// </summary>
/// <param name="megabytes">The budget in MB (1 MB = 2^20 bytes).</param>
public sealed class MemoryBudget(double megabytes)
{
    /// <summary>The runtime, ML.NET, the Azure SDKs and the Durable worker before any data, with headroom for the GC.</summary>
    public const double BaseMb = 400;

    /// <summary>Bytes a cell takes in the table at most: a double (a coded cell takes 4).</summary>
    public const double TableBytesPerCell = 8;

    /// <summary>Bytes per row and column of one training on every row: LightGBM's binned dataset and ML.NET's buffers.</summary>
    public const double TrainingBytesPerCell = 4;

    /// <summary>Bytes per row of one training whatever its width: labels, gradients, scores and row indexes.</summary>
    public const double TrainingBytesPerRow = 48;

    public double Megabytes => megabytes;

    /// <summary>The estimated peak, in MB, of a run on <paramref name="rows"/> rows of <paramref name="columns"/> columns.</summary>
    public static double PeakMb(long rows, int columns) =>
        BaseMb + (rows * ((columns * (TableBytesPerCell + (2 * TrainingBytesPerCell))) + (2 * TrainingBytesPerRow)) / (1 << 20));

    /// <summary>The most rows of <paramref name="columns"/> columns that fit the budget.</summary>
    public long MaxRows(int columns) =>
        (long)Math.Max(0, (megabytes - BaseMb) * (1 << 20) / ((columns * (TableBytesPerCell + (2 * TrainingBytesPerCell))) + (2 * TrainingBytesPerRow)));

    /// <summary>Refuses a table that cannot fit.</summary>
    /// <param name="rows">Its rows, counted or estimated.</param>
    /// <param name="columns">Its columns.</param>
    /// <param name="basis">Where the row count comes from, for the message ("in its Parquet metadata", …).</param>
    /// <exception cref="DataValidationException"><see cref="AnomalyCodes.OverMemoryBudget"/>.</exception>
    public void Check(long rows, int columns, string basis)
    {
        var peak = PeakMb(rows, columns);
        if (peak > megabytes)
        {
            throw new DataValidationException(AnomalyCodes.OverMemoryBudget, null, string.Create(
                CultureInfo.InvariantCulture,
                $"The data has {rows:N0} rows × {columns} columns ({basis}): a run on it needs about {peak:N0} MB, more than the memory budget of {megabytes:N0} MB (MlLifecycle:MemoryBudgetMb); about {MaxRows(columns):N0} rows of {columns} columns fit."));
        }
    }
}
