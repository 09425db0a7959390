using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Security;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Auth;

/// <summary>
/// A verified Basic credential is remembered without a user lookup per request (issue 17); every committed change to
/// a user, here or on another portal, forgets what was verified before it.
/// </summary>
public sealed class BasicCredentialCacheTests(CountingHasherPortalFactory portal) : IClassFixture<CountingHasherPortalFactory>
{
    private static BasicCredentialCache.Entry EntryAt(long generation) => new("user-1", generation, [new Claim(ClaimTypes.Name, "someone@example.com")]);

    [Fact]
    public void An_entry_counts_until_it_expires_or_a_user_changes_here_or_on_another_portal_and_one_verified_before_a_change_is_not_kept()
    {
        var signals = new RecordingClusterSignals();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new BasicCredentialCache(new MemoryCache(new MemoryCacheOptions()), Options.Create(new SessionOptions { BasicCacheDuration = TimeSpan.FromMinutes(1) }), signals, clock);
        var key = BasicCredentialCache.KeyOf("someone@example.com", "Right-Pass-1");
        Assert.NotEqual(key, BasicCredentialCache.KeyOf("someone@example.com", "Right-Pass-2"));
        Assert.Equal(key, BasicCredentialCache.KeyOf(" SOMEONE@example.com ", "Right-Pass-1"));
        Assert.DoesNotContain("Right-Pass-1", key);

        cache.Remember(key, EntryAt(cache.Generation));
        Assert.NotNull(cache.Find(key));
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.NotNull(cache.Find(key));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(cache.Find(key));
        cache.Remember(key, EntryAt(cache.Generation));
        Assert.NotNull(cache.Find(key));

        // This portal's change: forgotten here, and the other portals are told.
        cache.UserChanged();
        Assert.Null(cache.Find(key));
        Assert.Contains(("users", "changed"), signals.Published);

        // Another portal's change, or a reconnect of the signal channel (signals may have been missed).
        cache.Remember(key, EntryAt(cache.Generation));
        signals.Subscribers["users"].OnSignal("changed");
        Assert.Null(cache.Find(key));
        cache.Remember(key, EntryAt(cache.Generation));
        signals.Subscribers["users"].OnReset();
        Assert.Null(cache.Find(key));

        // Verified against a user read before a change committed: not remembered.
        var readBefore = cache.Generation;
        signals.Subscribers["users"].OnSignal("changed");
        cache.Remember(key, EntryAt(readBefore));
        Assert.Null(cache.Find(key));

        // A zero duration remembers nothing.
        var off = new BasicCredentialCache(new MemoryCache(new MemoryCacheOptions()), Options.Create(new SessionOptions { BasicCacheDuration = TimeSpan.Zero }), signals, clock);
        off.Remember(key, EntryAt(off.Generation));
        Assert.Null(off.Find(key));
    }

    [Fact]
    public async Task A_lock_set_through_identity_outside_the_users_api_refuses_the_cached_credential_at_once()
    {
        var email = $"cache-{Guid.NewGuid():N}@example.com";
        const string password = "Cache-Pass-1";
        await portal.EnsureUserAsync(email, password, PortalRoles.Support);
        var client = portal.WithBasic(email, password);
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        var verifications = portal.Hasher.Verifications;
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(verifications, portal.Hasher.Verifications);

        using (var scope = portal.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            Assert.IsType<PortalUserManager>(users);
            var user = (await users.FindByEmailAsync(email))!;
            Assert.True((await users.SetLockoutEndDateAsync(user, DateTimeOffset.UtcNow.AddYears(1))).Succeeded);
        }

        var refused = await client.GetAsync("/api/integrations");
        Assert.Contains("locked", (await refused.AssertProblemAsync(HttpStatusCode.Unauthorized)).GetProperty("detail").GetString());
    }
}
