using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Deliveries;


/// <summary>
/// One message to one target. Written with its message before anything is sent (outbox); the portal's
/// database, not Hangfire's queue, says what is due. A lease stops two workers sending the same attempt.
/// </summary>
public sealed class Delivery
{
    public Guid Id { get; set; }

    public Guid MessageId { get; set; }

    public Message? Message { get; set; }

    public required DeliveryTargetKind TargetKind { get; set; }

    public Guid TargetId { get; set; }

    public required string TargetName { get; set; }

    public required string Url { get; set; }

    public string Method { get; set; } = "POST";

    public DeliveryState State { get; set; } = DeliveryState.Pending;

    public int AttemptCount { get; set; }

    public DateTime NextAttemptUtc { get; set; }

    public DateTime? LeaseUntilUtc { get; set; }

    public int? LastStatus { get; set; }

    public string? LastError { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime UpdatedUtc { get; set; }

    /// <summary>The W3C traceparent of the span this delivery was created in; its attempts continue that trace.</summary>
    public string? TraceParent { get; set; }

    /// <summary>The job (a bulk redelivery) that created this delivery, which reads its progress from these rows.</summary>
    public Guid? JobId { get; set; }
}

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> builder)
    {
        builder.ToTable("Messages");
        builder.Property(m => m.EventType).HasMaxLength(200);
    }
}

internal sealed class DeliveryConfiguration : IEntityTypeConfiguration<Delivery>
{
    public void Configure(EntityTypeBuilder<Delivery> builder)
    {
        builder.ToTable("Deliveries");
        builder.Property(d => d.TargetKind).HasStoredText(32);
        builder.Property(d => d.TargetName).HasMaxLength(200);
        builder.Property(d => d.Url).HasMaxLength(2000);
        builder.Property(d => d.Method).HasMaxLength(8);
        builder.Property(d => d.State).HasStoredText(16);
        builder.HasIndex(d => new { d.State, d.NextAttemptUtc });
        builder.HasIndex(d => new { d.TargetKind, d.TargetId, d.State });
        // The dashboard's and the delivery list's time window: its aggregates read only this index.
        builder.HasIndex(d => new { d.CreatedUtc, d.TargetKind, d.TargetId, d.State, d.AttemptCount });
        builder.HasIndex(d => d.JobId);
        builder.Property(d => d.TraceParent).HasMaxLength(55);
        builder.HasOne(d => d.Message).WithMany().HasForeignKey(d => d.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}
