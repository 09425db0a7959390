using System.Text.Json;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A sample request to run a listener's script on; <c>script</c> overrides the stored one (the editor's Test).</summary>
public sealed record ScriptTestRequest(JsonElement? Body, string? Method, Dictionary<string, string>? Headers, Dictionary<string, string>? Query, string? Script);
