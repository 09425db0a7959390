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
    public void Configure(EntityTypeBuilder<LogEntry> builder)
    {
        builder.ToTable("LogEntries");
        builder.Property(e => e.Direction).HasStoredText(16);
        builder.Property(e => e.Name).HasMaxLength(200);
        builder.Property(e => e.Method).HasMaxLength(16);
        builder.Property(e => e.Path).HasMaxLength(2000);
        builder.Property(e => e.EventType).HasMaxLength(200);
        builder.Property(e => e.Note).HasMaxLength(500);
        builder.Property(e => e.State).HasStoredText(16);
        builder.HasIndex(e => e.TimeUtc);
        builder.HasIndex(e => new { e.SourceId, e.TimeUtc });
        builder.HasIndex(e => new { e.Name, e.TimeUtc });
        builder.HasIndex(e => e.DeliveryId);
    }
}
