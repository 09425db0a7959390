namespace WebhookPortal.Features.Webhooks;

/// <summary>The mint webhooks API's webhook object (docs/compatibility.md#mint-webhooks-api): times in epoch milliseconds, <c>orgId</c> = the integration's name.</summary>
public sealed record WebhookView(
    long Created, string? CreatedBy, bool Enabled, Guid Id, string Name, string OrgId, string PostUrl, long Updated, string? UpdatedBy,
    IReadOnlyList<string> EventTypes, IReadOnlyDictionary<string, string> Headers, Guid IntegrationId, bool HeadersMasked = false,
    string? RetrySchedule = null, WebhookHealth? Health = null, DateTime? PreviousSecretExpires = null)
{
    /// <summary>What a non-administrator sees instead of a custom header's value (an API key, a token…).</summary>
    public const string MaskedValue = "••••••";
}
