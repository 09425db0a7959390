using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Jobs;

public sealed class JobOptions
{
    public const string Section = "Jobs";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan DownloadLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a running job's claim lasts without progress before another worker may take it over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Where job files are written; relative paths are under the operator's folder.</summary>
    [Required]
    public string Directory { get; set; } = "data/jobs";

    /// <summary>How many of one user's jobs may be queued or running at once; one more is refused (429).</summary>
    [Range(1, 100)]
    public int MaxConcurrentPerUser { get; set; } = 2;

    /// <summary>How long a finished job's row is kept as history; the cleanup deletes older ones (1 day to 10 years).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>When the recurring job deletes files whose download has expired (Hangfire cron, UTC).</summary>
    [Required]
    public string CleanupCron { get; set; } = "*/15 * * * *";
}
