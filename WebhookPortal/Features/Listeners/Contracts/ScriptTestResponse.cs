using System.Text.Json;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>What the script returned for the sample: the body the listener would store, or null.</summary>
public sealed record ScriptTestResponse(JsonElement? Result);
