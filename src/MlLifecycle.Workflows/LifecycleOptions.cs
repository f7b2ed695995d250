using System.ComponentModel.DataAnnotations;

namespace MlLifecycle.Workflows;

/// <summary>Settings of the lifecycle, bound from the <c>MlLifecycle</c> configuration section.</summary>
public sealed class LifecycleOptions
{
    public const string Section = "MlLifecycle";

    /// <summary>Uploads larger than this are rejected (<c>FileTooLarge</c>). Default 256 MiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxDatasetBytes { get; set; } = 256L * 1024 * 1024;

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
