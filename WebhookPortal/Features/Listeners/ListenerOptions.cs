using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Listeners;

public sealed class ListenerOptions
{
    public const string Section = "Listeners";

    /// <summary>Largest accepted request body; larger requests get 413 without being buffered.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 65536;

    /// <summary>How long a listener's settings are cached by the receiver (changes on this instance apply at once).</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>When the retention job runs (Hangfire cron, UTC).</summary>
    [Required]
    public string Cron { get; set; } = "0 * * * *";

    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 500;
}
