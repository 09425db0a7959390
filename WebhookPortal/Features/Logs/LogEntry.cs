using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Logs;

/// <summary>
/// One inbound request or one outbound attempt, with secrets redacted before it is stored.
/// </summary>
public sealed class LogEntry
{
    public long Id { get; set; }

    public DateTime TimeUtc { get; set; }

    public required LogDirection Direction { get; set; }

    public Guid? IntegrationId { get; set; }

    /// <summary>The listener's or webhook's id (the per-source retention cap counts by it).</summary>
    public Guid? SourceId { get; set; }

    public required string Name { get; set; }

    public required string Method { get; set; }

    public required string Path { get; set; }

    public int Status { get; set; }

    public required LogState State { get; set; }

    public string? Error { get; set; }

    public long DurationMs { get; set; }

    public string? RequestHeaders { get; set; }

    public string? RequestBody { get; set; }

    public string? ResponseHeaders { get; set; }

    public string? ResponseBody { get; set; }

    /// <summary>Outbound only: the delivery this attempt belongs to, and its number (1 = first try).</summary>
    public Guid? DeliveryId { get; set; }

    public int? Attempt { get; set; }

    /// <summary>Outbound only: the event type of the message sent (shown and searched in the log viewer).</summary>
    public string? EventType { get; set; }

    /// <summary>Inbound: a repeat of a sender's delivery id within the listener's idempotency window, answered without applying it.</summary>
    public bool Duplicate { get; set; }

    /// <summary>Inbound: the entry this one replayed (Replay or a bulk replay).</summary>
    public long? ReplayOfId { get; set; }

    /// <summary>What else to know about the entry (a handshake, a duplicate's delivery id).</summary>
    public string? Note { get; set; }
}

internal sealed class LogEntryConfiguration : IEntityTypeConfiguration<LogEntry>
{
    /// <summary>The indexes of error entries only (and the prefix of their names).</summary>
    internal const string ErrorsIndex = "IX_LogEntries_Errors";

    private const string ErrorsFilter = "\"State\" = 'error'";

    public void Configure(EntityTypeBuilder<LogEntry> builder)
    {
        // SQLite: new entries reach the full-text index (the FTS5 table LogSearch) in batches (LogSearchIndex), and
        // triggers carry updates and deletes (retention included) of entries already in it; EF Core must know of them
        // to not use RETURNING on this table. PostgreSQL keeps its search vector in a generated column instead (the
        // LogSearch migration). A migration that rebuilds this table on SQLite drops the triggers: it must create
        // them again (LogSearch migration, Up).
        builder.ToTable("LogEntries", t =>
        {
            t.HasTrigger("LogEntries_SearchUpdate");
            t.HasTrigger("LogEntries_SearchDelete");
        });
        builder.Property(e => e.Direction).HasStoredText(16);
        builder.Property(e => e.Name).HasMaxLength(200);
        builder.Property(e => e.Method).HasMaxLength(16);
        builder.Property(e => e.Path).HasMaxLength(2000);
        builder.Property(e => e.EventType).HasMaxLength(200);
        builder.Property(e => e.Note).HasMaxLength(500);
        builder.Property(e => e.State).HasStoredText(16);
        // The log viewer lists newest first by (TimeUtc, Id) and pages by keyset: each filter it offers has an index
        // whose equality columns come first and TimeUtc last (SQLite appends the rowid, the Id, to every index), so a
        // page is the first rows of one index range and the capped count reads index entries only. Each index is one
        // more write per logged request (bench/RESULTS.md, issue 17), hence only these:
        // TimeUtc alone (no filter, or only a time range; the dashboard's windows and retention);
        builder.HasIndex(e => e.TimeUtc);
        // SourceId (a listener's or webhook's own log, the per-source retention cap, bulk replays);
        builder.HasIndex(e => new { e.SourceId, e.TimeUtc });
        // Name (the listener / webhook filter);
        builder.HasIndex(e => new { e.Name, e.TimeUtc });
        // Direction (inbound or outbound);
        builder.HasIndex(e => new { e.Direction, e.TimeUtc });
        // Errors: every error, a listener's errors (the dashboard's links and the query), inbound or outbound
        // errors, and the dashboard's recent errors (read backwards). These hold error entries only, so the successful
        // requests and attempts, nearly all of the log, write none of them (issue 17: 3 of the 8 indexes each logged
        // request wrote). A query for errors names the state as a constant (LogService), so both databases can prove
        // it uses them; "success" is read through the indexes above, checking each entry's state.
        builder.HasIndex(e => e.TimeUtc, ErrorsIndex).HasFilter(ErrorsFilter);
        builder.HasIndex(e => new { e.Name, e.TimeUtc }, ErrorsIndex + "_Name").HasFilter(ErrorsFilter);
        builder.HasIndex(e => new { e.Direction, e.TimeUtc }, ErrorsIndex + "_Direction").HasFilter(ErrorsFilter);
        // DeliveryId (a delivery's attempts): outbound entries only, so that inbound ones, most of the log, write no
        // entry to it (issue 17: 2 of the ~94 pages each ingest commit wrote). "= @id" implies "IS NOT NULL", so both
        // databases use it for those lookups.
        builder.HasIndex(e => e.DeliveryId).HasFilter("\"DeliveryId\" IS NOT NULL");
    }
}
