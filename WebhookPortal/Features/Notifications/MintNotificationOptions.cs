using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Notifications;

/// <summary>
/// What the mint notification-conditions API fills in when a body leaves it out: the vendor's body has no target or
/// period (they came from the developer's rate plan there), so the portal needs its own (docs/compatibility.md#mint-notification-conditions-api).
/// </summary>
public sealed class MintNotificationOptions
{
    public const string Section = "Notifications:Mint";

    /// <summary>Accepted requests per period that count as 100 %; 1,000 as in the vendor's example.</summary>
    [Range(1, long.MaxValue)]
    public long DefaultTarget { get; set; } = 1000;

    public UsagePeriod DefaultPeriod { get; set; } = UsagePeriod.Month;
}
