using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Listeners.Replays;

/// <summary>
/// A bulk replay of a listener's logged requests in a time range, run as a Hangfire job. This row is the
/// source of truth for its progress: the job resumes after <see cref="LastEntryId"/> when it is run again
/// (a restart, a lost in-memory job).
/// </summary>
public sealed class BulkReplay
{
    public Guid Id { get; set; }

    public Guid ListenerId { get; set; }

    public DateTime FromUtc { get; set; }

    public DateTime ToUtc { get; set; }

    /// <summary>Which logged requests: <c>error</c> (the default), <c>success</c> or <c>all</c>.</summary>
    public required string State { get; set; }

    public BulkReplayStatus Status { get; set; }

    public int Total { get; set; }

    public int Processed { get; set; }

    public int Succeeded { get; set; }

    public int Failed { get; set; }

    /// <summary>The last log entry replayed (entries are replayed in id order).</summary>
    public long LastEntryId { get; set; }

    /// <summary>The highest log entry id when the replay was asked for: entries written later (its own) are never replayed.</summary>
    public long MaxEntryId { get; set; }

    public required string RequestedBy { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime UpdatedUtc { get; set; }

    public DateTime? FinishedUtc { get; set; }

    public string? Error { get; set; }
}

[JsonConverter(typeof(JsonStringEnumConverter<BulkReplayStatus>))]
public enum BulkReplayStatus
{
    Queued,
    Running,
    Completed,
    Failed,
}

internal sealed class BulkReplayConfiguration : IEntityTypeConfiguration<BulkReplay>
{
    public void Configure(EntityTypeBuilder<BulkReplay> builder)
    {
        builder.ToTable("BulkReplays");
        builder.Property(r => r.State).HasMaxLength(16);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.RequestedBy).HasMaxLength(256);
        builder.Property(r => r.Error).HasMaxLength(2000);
        builder.HasIndex(r => new { r.ListenerId, r.CreatedUtc });
        builder.HasIndex(r => r.Status);
    }
}
