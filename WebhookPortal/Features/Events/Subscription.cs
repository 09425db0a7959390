namespace WebhookPortal.Features.Events;

/// <summary>A REST-hook subscription (Zapier style): an external URL that receives one event type, signed with its own secret.</summary>
public sealed class Subscription
{
    public Guid Id { get; set; }

    public Guid EventTypeId { get; set; }

    public required string TargetUrl { get; set; }

    public required string ProtectedSecret { get; set; }

    public required string OwnerId { get; set; }

    public string? OwnerName { get; set; }

    public DateTime CreatedUtc { get; set; }
}
