using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Events;

/// <summary>A new subscription with its signing secret, shown once.</summary>
public sealed record SubscribeResponse(Guid Id, string Event, [property: JsonPropertyName("target_url")] string TargetUrl, DateTime Created, string Secret);
