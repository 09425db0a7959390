using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.ApiKeys;

public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>REST-hook subscriptions one owner (a Subscriber key, or a user) may hold.</summary>
    [Range(1, 100_000)]
    public int MaxSubscriptionsPerKey { get; set; } = 100;

    /// <summary>Calls of /api/hooks/perform-list (each runs up to three event scripts) one key or user may make a minute.</summary>
    [Range(1, 100_000)]
    public int PerformListPerMinute { get; set; } = 60;

    /// <summary>How long a verified key is remembered (no database read); a revoked key is dropped at once, on every portal.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the keys' "last used" times noted in memory are written (each key at most once a minute).</summary>
    public TimeSpan LastUsedFlushInterval { get; set; } = TimeSpan.FromSeconds(15);
}
