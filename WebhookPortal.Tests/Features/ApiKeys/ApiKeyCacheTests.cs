using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.ApiKeys;

/// <summary>
/// A known API key costs no database read and no write per request (issue 17): it is remembered for
/// ApiKeys:CacheDuration, dropped at once when revoked, and its "last used" is written in the background at most
/// once a minute.
/// </summary>
public sealed class ApiKeyCacheTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private ApiKeyUsage Usage => portal.Services.GetRequiredService<ApiKeyUsage>();

    private async Task<(Guid Id, HttpClient Client)> NewKeyAsync(string role = "Support")
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "cache-" + Guid.NewGuid().ToString("N")[..6], role })).ReadJsonAsync(HttpStatusCode.Created);
        return (created.GetProperty("id").GetGuid(), portal.WithBearer(created.GetProperty("key").GetString()!));
    }

    private Task<DateTime?> LastUsedAsync(Guid id) => portal.WithDbAsync(db => db.ApiKeys.Where(k => k.Id == id).Select(k => k.LastUsedUtc).SingleAsync());

    [Fact]
    public async Task A_verified_key_is_served_from_memory_until_the_cache_duration_ends()
    {
        var (id, client) = await NewKeyAsync();
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);

        // Spoil the stored hash: only a request that reads the row can notice.
        await portal.WithDbAsync(db => db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.KeyHash, new byte[32])));
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);

        portal.Clock.Advance(TimeSpan.FromSeconds(31)); // ApiKeys:CacheDuration is 30 s by default
        await (await client.GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Revoking_drops_the_remembered_key_at_once()
    {
        var (id, client) = await NewKeyAsync("Admin");
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"/api/api-keys/{id}")).StatusCode);

        await (await client.GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.PostAsJsonAsync("/api/integrations", new { name = "After-Revoke" })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.False(await portal.WithDbAsync(db => db.Integrations.AnyAsync(i => i.Name == "After-Revoke")));
    }

    [Fact]
    public async Task Requests_write_nothing_and_last_used_is_written_in_the_background_once_a_minute()
    {
        var (id, client) = await NewKeyAsync();
        for (var i = 0; i < 5; i++)
        {
            await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        }

        // The requests only noted the use (the background round runs every 15 s; this test runs it itself).
        var usedAt = portal.Clock.GetUtcNow().UtcDateTime;
        await Usage.FlushAsync();
        Assert.Equal(usedAt, await LastUsedAsync(id));

        // Within the minute: more requests, no write.
        portal.Clock.Advance(TimeSpan.FromSeconds(20));
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        await Usage.FlushAsync();
        Assert.Equal(usedAt, await LastUsedAsync(id));

        // A minute later the next use is written.
        portal.Clock.Advance(TimeSpan.FromSeconds(45));
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        await Usage.FlushAsync();
        Assert.Equal(portal.Clock.GetUtcNow().UtcDateTime, await LastUsedAsync(id));
    }

    [Fact]
    public async Task A_wrong_key_with_a_known_prefix_is_refused_and_not_remembered()
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "prefix-twin", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created);
        var key = created.GetProperty("key").GetString()!;
        var forged = key[..^4] + (key[^4..] == "AAAA" ? "BBBB" : "AAAA");

        await (await portal.WithBearer(key).GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        for (var i = 0; i < 2; i++)
        {
            await (await portal.WithBearer(forged).GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public void A_revocation_signal_from_another_portal_drops_the_key_and_a_reset_drops_all()
    {
        var signals = new RecordingClusterSignals();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var cache = new ApiKeyCache(Microsoft.Extensions.Options.Options.Create(new ApiKeyOptions()), clock, signals);
        var first = new ApiKey { Id = Guid.NewGuid(), Name = "a", Role = "Admin", Prefix = "a", KeyHash = [1] };
        var second = new ApiKey { Id = Guid.NewGuid(), Name = "b", Role = "Support", Prefix = "b", KeyHash = [2] };
        byte[] firstHash = [1, 1], secondHash = [2, 2];
        cache.Remember(firstHash, first);
        cache.Remember(secondHash, second);

        signals.Subscribers["api-key"].OnSignal(first.Id.ToString("N"));
        Assert.Null(cache.Find(firstHash));
        Assert.Equal(second.Id, cache.Find(secondHash)?.Id);

        signals.Subscribers["api-key"].OnReset();
        Assert.Null(cache.Find(secondHash));

        cache.Revoked(second.Id);
        Assert.Equal(("api-key", second.Id.ToString("N")), Assert.Single(signals.Published));
        cache.Remember(secondHash, second); // a check that read the row before the revocation committed
        Assert.Null(cache.Find(secondHash));
    }
}
