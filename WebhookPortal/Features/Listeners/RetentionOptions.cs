using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Listeners;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>When the retention job runs (Hangfire cron, UTC).</summary>
    [Required]
    public string Cron { get; set; } = "0 * * * *";

    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 500;
}
