using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Events;

/// <summary>
/// A trigger (docs/compatibility.md#rest-hooks): fired by data tracking when a listener's root rows change,
/// with an optional payload script <c>(record, action) =&gt; payload | null</c>.
/// </summary>
public sealed class EventType
{
    public Guid Id { get; set; }

    public Guid IntegrationId { get; set; }

    public Guid ListenerId { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public required string ActionsJson { get; set; }

    public string? Script { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTime CreatedUtc { get; set; }

    public DateTime UpdatedUtc { get; set; }

    public IReadOnlyList<string> Actions => JsonSerializer.Deserialize<List<string>>(ActionsJson) ?? [];
}

internal sealed class EventConfiguration : IEntityTypeConfiguration<EventType>, IEntityTypeConfiguration<Subscription>, IEntityTypeConfiguration<PendingEvent>
{
    public void Configure(EntityTypeBuilder<PendingEvent> builder)
    {
        builder.ToTable("PendingEvents");
        builder.Property(e => e.Action).HasMaxLength(16);
        builder.Property(e => e.TraceParent).HasMaxLength(55);
        builder.HasIndex(e => e.CreatedUtc);
    }

    public void Configure(EntityTypeBuilder<EventType> builder)
    {
        builder.ToTable("EventTypes");
        builder.Property(e => e.Name).HasMaxLength(64);
        builder.Ignore(e => e.Actions);
        builder.HasIndex(e => new { e.IntegrationId, e.Name }).IsUnique();
        builder.HasIndex(e => e.ListenerId);
    }

    public void Configure(EntityTypeBuilder<Subscription> builder)
    {
        builder.ToTable("Subscriptions");
        builder.Property(s => s.TargetUrl).HasMaxLength(2000);
        builder.Property(s => s.PortalEventType).HasMaxLength(100);
        builder.HasIndex(s => s.EventTypeId);
        builder.HasIndex(s => new { s.IntegrationId, s.PortalEventType });
    }
}
