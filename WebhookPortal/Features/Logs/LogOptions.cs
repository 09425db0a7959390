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

    /// <summary>
    /// A search counts its matches up to this many and then says "at least" (<see cref="LogPage.TotalCapped"/>):
    /// an exact count of a million entries reads all of them, on every page.
    /// </summary>
    [Range(1, 100_000_000)]
    public int CountLimit { get; set; } = 10_000;

    /// <summary>
    /// The same for searches with text (<c>q</c>), which stop counting sooner: PostgreSQL reads each match's row to
    /// count it, so a frequent word costs a row visit per match counted.
    /// </summary>
    [Range(1, 100_000_000)]
    public int TextCountLimit { get; set; } = 1_000;

    /// <summary>SQLite: how often new entries are added to the full-text index in the background (a search adds the rest first).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SearchIndexInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// SQLite: the group-commit writers (the receiver, the attempt recorder) add new entries to the full-text index
    /// within their batch once at least this many wait. FTS5 writes one index segment per transaction and merges the
    /// segments later: a segment of 32 entries cost about 1.6 times the time per entry of one of 256 (bench/RESULTS.md,
    /// issue 17). A search, and the background every <see cref="SearchIndexInterval"/>, add those still waiting first.
    /// </summary>
    [Range(1, 100_000)]
    public int SearchIndexBatch { get; set; } = 256;
}
