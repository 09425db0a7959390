namespace WebhookPortal.Features.Events;

/// <summary>A REST-hook subscription (Zapier style): an external URL that receives one event type, signed with its own secret.</summary>
public sealed class Subscription
{
    public Guid Id { get; set; }

    /// <summary>The event type subscribed to; <see cref="Guid.Empty"/> for a portal event (<see cref="PortalEventType"/>).</summary>
    public Guid EventTypeId { get; set; }

    /// <summary>A portal event of the portal's own catalog (<c>portal.webhook.failing</c>…), raised for <see cref="IntegrationId"/>'s webhooks; null for an event type.</summary>
    public string? PortalEventType { get; set; }

    /// <summary>The integration whose portal events it receives; null for an event type (which has its own integration).</summary>
    public Guid? IntegrationId { get; set; }

    public required string TargetUrl { get; set; }

    public required string ProtectedSecret { get; set; }

    public required string OwnerId { get; set; }

    public string? OwnerName { get; set; }

    public DateTime CreatedUtc { get; set; }
}
