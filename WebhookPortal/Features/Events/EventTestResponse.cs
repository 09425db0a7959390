using System.Text.Json;

namespace WebhookPortal.Features.Events;

/// <summary>The payload the script built, or null when it declined the record.</summary>
public sealed record EventTestResponse(JsonElement? Payload);
