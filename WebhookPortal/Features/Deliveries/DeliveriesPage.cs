namespace WebhookPortal.Features.Deliveries;

/// <summary>A page of one target's deliveries, newest first, with how many match in all.</summary>
public sealed record DeliveriesPage(long Total, IReadOnlyList<DeliveryView> Items);
