using System.Text.Json;

namespace WebhookPortal.Features.Events;

/// <summary>What to test on; <c>script</c>, when given, is tried instead of the saved one (nothing is saved; empty = no script).</summary>
public sealed record EventTestRequest(JsonElement? Record, string? Action, string? Script = null);
