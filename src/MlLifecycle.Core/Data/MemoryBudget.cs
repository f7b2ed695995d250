using System.Globalization;

namespace MlLifecycle.Core.Data;

/// <summary>
/// The memory a run may use (<c>MlLifecycle:MemoryBudgetMb</c>: the instance it runs on), and the estimate of what a
/// table of a shape needs at a run's peak, so a dataset too large is refused when it is opened, with its size and the
/// budget, not killed for want of memory half-way through. The estimate's terms are measured (bench/README.md,
/// <i>Memory</i>): the process before any data, the table, and the trainings on every row (the evaluated model and the
/// one served: side by side when both fit, one after the other when only one does).
/// </summary>
/// <param name="megabytes">The budget in MB (1 MB = 2^20 bytes).</param>
public sealed class MemoryBudget(double megabytes)
{
    /// <summary>The runtime, ML.NET, the Azure SDKs and the Durable worker before any data, with the collector's headroom.</summary>
    public const double BaseMb = 500;

    /// <summary>Bytes a cell takes in the table at most: a double (a coded cell takes 4).</summary>
    public const double TableBytesPerCell = 8;

    /// <summary>Bytes per row and column of one LightGBM training on every row: its binned dataset and ML.NET's buffers.</summary>
    public const double TrainingBytesPerCell = 4;

    /// <summary>
    /// Bytes per row and column of one training of ML.NET's own trees (FastTree, FastForest) on every row: they read
    /// every value into memory to find their bins, then hold their own dataset and working arrays. Measured: 1,000,000
    /// rows × 20 peaked at 2,932 MB with FastTree against about 950 MB with LightGBM; FastForest ran out of a 3 GB heap
    /// on 8,500,000 rows where LightGBM fits (bench/README.md, <i>Memory</i>).
    /// </summary>
    public const double TreeBytesPerCell = 60;

    /// <summary>
    /// Bytes per row and column of one linear training on every row: ML.NET caches the features, and L-BFGS on several
    /// threads loads them once more. Not measured past 1,000,000 rows (977 MB there, as LightGBM): the two float copies
    /// are counted.
    /// </summary>
    public const double LinearBytesPerCell = 12;

    /// <summary>Bytes per row of one training whatever its width: labels, gradients, scores and row indexes.</summary>
    public const double TrainingBytesPerRow = 54;

    public double Megabytes => megabytes;

    /// <summary>
    /// The estimated peak, in MB, of a run on <paramref name="rows"/> rows of <paramref name="columns"/> columns while
    /// <paramref name="trainings"/> trainings on every row run at once (2: the evaluated model beside the one served).
    /// Fitted to LightGBM runs here: 1,000,000 rows × 20 peaked at 875–1,000 MB with two trainings at once (908
    /// estimated), 10,000,000 × 20 at 3,302 MB with one (3,304 estimated).
    /// </summary>
    /// <param name="rows">The table's rows.</param>
    /// <param name="columns">Its columns.</param>
    /// <param name="trainings">Trainings on every row at once.</param>
    /// <param name="trainer">The trainer (<see cref="Training.Trainers"/>).</param>
    public static double PeakMb(long rows, int columns, int trainings = 2, string trainer = Training.Trainers.LightGbm) =>
        BaseMb + (rows * PerRow(columns, trainings, trainer) / (1 << 20));

    /// <summary>Whether a run fits with <paramref name="trainings"/> trainings of <paramref name="trainer"/> on every row at once.</summary>
    public bool Fits(long rows, int columns, int trainings, string trainer = Training.Trainers.LightGbm) => PeakMb(rows, columns, trainings, trainer) <= megabytes;

    /// <summary>The most rows of <paramref name="columns"/> columns that fit the budget, training one LightGBM model at a time.</summary>
    public long MaxRows(int columns) => (long)Math.Max(0, (megabytes - BaseMb) * (1 << 20) / PerRow(columns, 1, Training.Trainers.LightGbm));

    private static double PerRow(int columns, int trainings, string trainer) =>
        (columns * TableBytesPerCell) + (trainings * ((columns * PerCell(trainer)) + TrainingBytesPerRow));

    private static double PerCell(string trainer) => trainer switch
    {
        Training.Trainers.FastTree or Training.Trainers.FastForest => TreeBytesPerCell,
        Training.Trainers.Linear => LinearBytesPerCell,
        _ => TrainingBytesPerCell,
    };

    /// <summary>Refuses a table that cannot fit.</summary>
    /// <param name="rows">Its rows, counted or estimated.</param>
    /// <param name="columns">Its columns.</param>
    /// <param name="basis">Where the row count comes from, for the message ("in its Parquet metadata", …).</param>
    /// <exception cref="DataValidationException"><see cref="AnomalyCodes.OverMemoryBudget"/>.</exception>
    public void Check(long rows, int columns, string basis)
    {
        var peak = PeakMb(rows, columns, trainings: 1);
        if (peak > megabytes)
        {
            throw new DataValidationException(AnomalyCodes.OverMemoryBudget, null, string.Create(
                CultureInfo.InvariantCulture,
                $"The data has {rows:N0} rows × {columns} columns ({basis}): a run on it needs about {peak:N0} MB, more than the memory budget of {megabytes:N0} MB (MlLifecycle:MemoryBudgetMb); about {MaxRows(columns):N0} rows of {columns} columns fit."));
        }
    }
}
