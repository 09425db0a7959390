namespace WebhookPortal.Features.Deliveries;

/// <summary>Which deliveries to list: one target (or all), one state (or all), created within a time range (either end open).</summary>
public sealed record DeliveryQuery(DeliveryTargetKind? TargetKind = null, Guid? TargetId = null, DeliveryState? State = null, DateTime? FromUtc = null, DateTime? ToUtc = null);
