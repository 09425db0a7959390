using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Listeners;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>When the retention job runs (Hangfire cron, UTC).</summary>
    [Required]
    public string Cron { get; set; } = "0 * * * *";

    // At most 10,000: a batch of ids is one statement's parameters (SQLite allows 32,766) and one short write lock.
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;
}
