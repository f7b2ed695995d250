using System.ComponentModel.DataAnnotations;

namespace MlLifecycle.Workflows;

/// <summary>Settings of the lifecycle, bound from the <c>MlLifecycle</c> configuration section.</summary>
public sealed class LifecycleOptions
{
    public const string Section = "MlLifecycle";

    /// <summary>Uploads larger than this are rejected (<c>FileTooLarge</c>). Default 256 MiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxDatasetBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>NCRONTAB schedule of the drift check (six fields, seconds first). Default: hourly.</summary>
    [Required]
    public string DriftSchedule { get; set; } = "0 0 * * * *";
}
