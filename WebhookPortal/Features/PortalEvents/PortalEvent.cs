using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Features.Integrations;

namespace WebhookPortal.Features.PortalEvents;

/// <summary>
/// Something the portal itself noticed about what it manages (a webhook that started failing, one that was disabled):
/// shown on the dashboard and the webhook's page, and delivered like any message to webhooks that subscribe to its type.
/// </summary>
public sealed class PortalEvent
{
    public Guid Id { get; set; }

    public DateTime TimeUtc { get; set; }

    /// <summary>One of <see cref="PortalEventTypes"/>.</summary>
    public required string Type { get; set; }

    public Guid IntegrationId { get; set; }

    public Integration? Integration { get; set; }

    /// <summary>The webhook it is about; kept (without a foreign key) after the webhook is deleted, so history stays readable.</summary>
    public Guid? WebhookId { get; set; }

    /// <summary>The webhook's name when it happened.</summary>
    public required string Subject { get; set; }

    public required string Reason { get; set; }

    /// <summary>The message that carried it to subscribed webhooks; null when nobody subscribed.</summary>
    public Guid? MessageId { get; set; }
}

internal sealed class PortalEventConfiguration : IEntityTypeConfiguration<PortalEvent>
{
    public void Configure(EntityTypeBuilder<PortalEvent> builder)
    {
        builder.ToTable("PortalEvents");
        builder.Property(e => e.Type).HasMaxLength(100);
        builder.Property(e => e.Subject).HasMaxLength(200);
        builder.Property(e => e.Reason).HasMaxLength(1000);
        builder.HasIndex(e => e.TimeUtc);
        builder.HasIndex(e => new { e.WebhookId, e.TimeUtc });
        builder.HasOne(e => e.Integration).WithMany().HasForeignKey(e => e.IntegrationId).OnDelete(DeleteBehavior.Cascade);
    }
}
