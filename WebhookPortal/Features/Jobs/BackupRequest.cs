using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Jobs;

/// <summary>A backup request (docs/compatibility.md#async-jobs): the URL to call when the file is ready, <c>webhook_url</c> as the seed's clients send it.</summary>
public sealed record BackupRequest([property: JsonPropertyName("webhook_url")] string? WebhookUrl);
