namespace WebhookPortal.Features.PortalEvents;

/// <summary>
/// The portal's own event catalog. A webhook receives these only when it lists them by name (an empty event-type
/// filter means "every event of the integration's listeners", not the portal's own).
/// </summary>
public static class PortalEventTypes
{
    /// <summary>A webhook's attempts started failing (the first failure after a success).</summary>
    public const string WebhookFailing = "portal.webhook.failing";

    /// <summary>A webhook was disabled: by a person, by a 410 Gone answer, or by the failure rule (Delivery:DisableAfter).</summary>
    public const string WebhookDisabled = "portal.webhook.disabled";

    public const string Prefix = "portal.";

    public static readonly IReadOnlyList<string> All = [WebhookFailing, WebhookDisabled];

    public static bool IsPortalEvent(string eventType) => eventType.StartsWith(Prefix, StringComparison.Ordinal);
}
