using System.Net;
using System.Net.Http.Json;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.ApiKeys;

/// <summary>
/// A key revoked through one portal stops working on another sharing the database: at once on PostgreSQL (a
/// LISTEN/NOTIFY signal; keys are remembered ten minutes here, so only the signal can do it), after the cache's
/// expiry on SQLite.
/// </summary>
public sealed class ApiKeyCacheAcrossInstancesTests() : TwoPortalsTest<LongCachePortal>(() => new LongCachePortal(), directory => new LongCachePortal(directory))
{
    [Fact]
    public async Task A_key_revoked_through_one_portal_is_refused_by_the_other()
    {
        var created = await (await First.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "shared", role = "Support" })).ReadJsonAsync(HttpStatusCode.Created);
        var throughSecond = Second.WithBearer(created.GetProperty("key").GetString()!);
        await (await throughSecond.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK); // now remembered by the second portal

        Assert.Equal(HttpStatusCode.NoContent, (await First.AsAdmin().DeleteAsync($"/api/api-keys/{created.GetProperty("id").GetGuid()}")).StatusCode);
        if (!First.OnPostgres)
        {
            Second.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        }

        await Eventually.TrueAsync(
            async () => (await throughSecond.GetAsync("/api/integrations")).StatusCode == HttpStatusCode.Unauthorized,
            "the second portal to refuse the revoked key",
            TimeSpan.FromSeconds(10));
    }
}
