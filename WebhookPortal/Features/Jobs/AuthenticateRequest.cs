using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Jobs;

/// <summary>The async-jobs authenticate call (docs/compatibility.md#async-jobs): an API key and a user's credentials, as JSON, form or query.</summary>
public sealed record AuthenticateRequest([property: JsonPropertyName("api_key")] string? ApiKey, string? Username, string? Password);
