using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Events;

/// <summary>A REST-hook subscribe call (docs/compatibility.md#rest-hooks): the event's name and the URL to call, <c>target_url</c> as Zapier sends it.</summary>
public sealed record SubscribeRequest(string? Event, [property: JsonPropertyName("target_url")] string? TargetUrl, Guid? IntegrationId);
