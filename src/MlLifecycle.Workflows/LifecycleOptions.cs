using System.ComponentModel.DataAnnotations;

namespace MlLifecycle.Workflows;

/// <summary>Settings of the lifecycle, bound from the <c>MlLifecycle</c> configuration section.</summary>
public sealed class LifecycleOptions
{
    public const string Section = "MlLifecycle";

    /// <summary>
    /// The memory a run's process may use, in MB: the instance it runs on (<c>instanceMemoryMB</c> in <c>bicep/</c>;
    /// 4,096 is the largest Flex Consumption instance). A dataset whose estimated peak exceeds it is refused when it is
    /// opened (<c>OverMemoryBudget</c>). Default 2,048, the instance <c>bicep/</c> deploys.
    /// </summary>
    [Range(512, 1 << 20)]
    public int MemoryBudgetMb { get; set; } = 2048;

    /// <summary>
    /// Uploads larger than this are rejected (<c>FileTooLarge</c>) before any is read. Default: the memory budget in
    /// bytes — a file larger than that cannot fit in it as a table (a cell's text takes at least 2 bytes, its value 4
    /// or 8), whatever its rows; compressed files are held to the budget by their rows instead.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long? MaxDatasetBytes { get; set; }

    /// <summary><see cref="MaxDatasetBytes"/>, or its default.</summary>
    public long EffectiveMaxDatasetBytes => MaxDatasetBytes ?? (long)MemoryBudgetMb << 20;

    /// <summary>Rows per chunk of a batch scoring job (one activity scores one chunk). Default 10 000.</summary>
    [Range(100, 1_000_000)]
    public int BatchChunkRows { get; set; } = 10_000;

    /// <summary>Chunks of one batch job scored at once (the workers' own activity limits apply too). Default 4.</summary>
    [Range(1, 64)]
    public int BatchMaxConcurrency { get; set; } = 4;

    /// <summary>NCRONTAB schedule of the drift check (six fields, seconds first). Default: hourly.</summary>
    [Required]
    public string DriftSchedule { get; set; } = "0 0 * * * *";

    /// <summary>
    /// Length of the prediction-log windows the scheduled check covers, in hours. Windows are consecutive and aligned
    /// to UTC midnight (24: one per day); each is checked once, by the first timer run after it ends. Default 24.
    /// </summary>
    [Range(1, 24 * 31)]
    public int DriftWindowHours { get; set; } = 24;
}
