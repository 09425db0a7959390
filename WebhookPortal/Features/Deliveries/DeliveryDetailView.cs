namespace WebhookPortal.Features.Deliveries;

/// <summary>A delivery with the message sent and every attempt (GET /api/deliveries/{id}).</summary>
public sealed record DeliveryDetailView(DeliveryView Delivery, string Payload, IReadOnlyList<AttemptView> Attempts);
