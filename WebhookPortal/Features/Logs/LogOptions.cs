using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Logs;

public sealed class LogOptions
{
    public const string Section = "Logs";

    /// <summary>Entries older than this are deleted by the retention job.</summary>
    [Range(1, 36500)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>At most this many entries are kept per listener or webhook (the newest).</summary>
    [Range(10, 10_000_000)]
    public int MaxEntriesPerSource { get; set; } = 10000;

    /// <summary>Bodies are stored up to this many characters.</summary>
    [Range(256, 10_000_000)]
    public int MaxBodyChars { get; set; } = 65536;
}
