using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Integrations;

public sealed class IntegrationOptions
{
    public const string Section = "Integrations";

    /// <summary>
    /// How long the list of integrations is kept in memory. Changes on this portal, and on the others sharing a
    /// PostgreSQL database, drop it at once; the expiry only bounds a lost signal.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}
