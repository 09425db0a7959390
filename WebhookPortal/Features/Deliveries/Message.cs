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
