namespace WebhookPortal.Tests.Support;

/// <summary>
/// A portal whose caches (listeners, API keys, Basic credentials, integrations) keep entries ten minutes: in tests of
/// two portals on one database, only a change signal can make the other portal see a change in time.
/// </summary>
public sealed class LongCachePortal : PortalFactory
{
    public static readonly TimeSpan CacheDuration = TimeSpan.FromMinutes(10);

    public LongCachePortal()
    {
    }

    public LongCachePortal(string directory)
        : base(directory)
    {
    }

    protected override void ConfigurePortal(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        builder.UseSetting("Listeners:CacheDuration", "00:10:00");
        builder.UseSetting("ApiKeys:CacheDuration", "00:10:00");
        builder.UseSetting("Security:Sessions:BasicCacheDuration", "00:10:00");
        builder.UseSetting("Integrations:CacheDuration", "00:10:00");
        builder.UseSetting("Webhooks:PublishCacheDuration", "00:10:00");
    }
}
