namespace WebhookPortal.Features.Events;

/// <summary>
/// A change whose event type has a payload script, written by the receiver in its transaction (outbox) and turned
/// into a message after the commit: scripts never run while the writer's shared transaction is open.
/// </summary>
public sealed class PendingEvent
{
    public Guid Id { get; set; }

    public Guid IntegrationId { get; set; }

    public Guid EventTypeId { get; set; }

    public required string Action { get; set; }

    public required string RecordJson { get; set; }

    public DateTime CreatedUtc { get; set; }

    /// <summary>The W3C traceparent of the request that staged it; the payload script's span continues that trace.</summary>
    public string? TraceParent { get; set; }
}
