using System.Text.Json;

namespace WebhookPortal.Features.Webhooks;

/// <summary>POST /api/integrations/{id}/messages: an event type and any JSON payload, sent byte for byte.</summary>
public sealed record PublishRequest(string? EventType, JsonElement? Payload);
