namespace WebhookPortal.Features.Deliveries;

/// <summary>A target for one message: the delivery engine sends it there.</summary>
public sealed record DeliveryRequest(DeliveryTargetKind TargetKind, Guid TargetId, string TargetName, string Url, string Method = "POST");
