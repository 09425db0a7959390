using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Events;

/// <summary>A REST-hook subscription as listed, with the state of its last delivery.</summary>
public sealed record SubscriptionView(Guid Id, string Event, [property: JsonPropertyName("target_url")] string TargetUrl, DateTime Created, string? Owner, WebhookPortal.Features.Deliveries.DeliveryState? LastDeliveryState);
