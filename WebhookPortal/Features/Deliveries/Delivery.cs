using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Deliveries;

/// <summary>Something to send: an event type and its payload, kept verbatim.</summary>
public sealed class Message
{
    public Guid Id { get; set; }

    public Guid? IntegrationId { get; set; }

    public required string EventType { get; set; }

    /// <summary>The body as published (JSON text), sent byte for byte.</summary>
    public required string Payload { get; set; }

    public DateTime CreatedUtc { get; set; }
}

public static class DeliveryStates
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

public static class DeliveryTargets
{
    public const string Webhook = "webhook";

    /// <summary>An async job's callback (docs/compatibility.md#async-jobs): a GET to the caller's webhook_url, unsigned.</summary>
    public const string Job = "job";

    /// <summary>A REST-hook subscription to an event type, signed with the subscription's secret.</summary>
    public const string Subscription = "subscription";
}

/// <summary>
/// One message to one target. Written with its message before anything is sent (outbox); the portal's
/// database, not Hangfire's queue, says what is due. A lease stops two workers sending the same attempt.
/// </summary>
public sealed class Delivery
{
    public Guid Id { get; set; }

    public Guid MessageId { get; set; }

    public Message? Message { get; set; }

    public required string TargetKind { get; set; }

    public Guid TargetId { get; set; }

    public required string TargetName { get; set; }

    public required string Url { get; set; }

    public string Method { get; set; } = "POST";

    public string State { get; set; } = DeliveryStates.Pending;

    public int AttemptCount { get; set; }

    public DateTime NextAttemptUtc { get; set; }

    public DateTime? LeaseUntilUtc { get; set; }

    public int? LastStatus { get; set; }

    public string? LastError { get; set; }

    public DateTime CreatedUtc { get; set; }

    public DateTime UpdatedUtc { get; set; }
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
        builder.Property(d => d.TargetKind).HasMaxLength(32);
        builder.Property(d => d.TargetName).HasMaxLength(200);
        builder.Property(d => d.Url).HasMaxLength(2000);
        builder.Property(d => d.Method).HasMaxLength(8);
        builder.Property(d => d.State).HasMaxLength(16);
        builder.HasIndex(d => new { d.State, d.NextAttemptUtc });
        builder.HasIndex(d => new { d.TargetKind, d.TargetId, d.State });
        builder.HasOne(d => d.Message).WithMany().HasForeignKey(d => d.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}
