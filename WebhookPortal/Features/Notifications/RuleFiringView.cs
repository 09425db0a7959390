namespace WebhookPortal.Features.Notifications;

/// <summary>A threshold that fired, with the state of its callback's delivery (the least successful one when there are several).</summary>
public sealed record RuleFiringView(decimal Threshold, long Count, DateTime Fired, DateTime PeriodStart, WebhookPortal.Features.Deliveries.DeliveryState? DeliveryState);
