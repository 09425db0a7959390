using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Webhooks;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// How long publish keeps an integration's enabled webhooks in memory (<see cref="PublishRoutes"/>). A change on
    /// this portal, and on the others sharing a PostgreSQL database, drops them at once; the expiry only bounds a lost
    /// signal.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan PublishCacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}
