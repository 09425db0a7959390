namespace WebhookPortal.Features.Deliveries;

/// <summary>A delivery as listed: its target, state and the outcome of its last attempt.</summary>
public sealed record DeliveryView(Guid Id, Guid MessageId, string EventType, DeliveryTargetKind TargetKind, Guid TargetId, string TargetName, string Url, DeliveryState State, int AttemptCount,
    DateTime NextAttemptUtc, int? LastStatus, string? LastError, DateTime Created, DateTime Updated);
