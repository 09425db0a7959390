using System.Net;
using System.Net.Http.Json;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>
/// A listener changed through one portal is seen by another sharing the database: at once on PostgreSQL (a
/// LISTEN/NOTIFY signal; the cache here lasts ten minutes, so only the signal can do it), after the cache's
/// expiry on SQLite (one portal per file is the supported setup; the expiry is the stated bound).
/// </summary>
public sealed class ListenerCacheAcrossInstancesTests() : TwoPortalsTest<LongCachePortal>(() => new LongCachePortal(), directory => new LongCachePortal(directory))
{
    [Fact]
    public async Task Authentication_turned_on_through_one_portal_is_enforced_by_the_other()
    {
        var listener = await First.CreateListenerAsync();
        var throughSecond = Second.Anonymous();
        const string record = """{"data":{"items":[{"id":1}]}}""";
        // The second portal has the open listener in its cache.
        await (await throughSecond.SendAsync(Json(HttpMethod.Post, listener.HookPath, record))).ReadJsonAsync(HttpStatusCode.OK);

        var changed = await First.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { name = listener.Name, enabled = true, auth = new { method = "Token", readFrom = "Header", name = "X-Webhook-Token" } });
        await changed.ReadJsonAsync(HttpStatusCode.OK);

        if (!First.OnPostgres)
        {
            Second.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        }

        await Eventually.TrueAsync(
            async () => (await throughSecond.SendAsync(Json(HttpMethod.Post, listener.HookPath, record))).StatusCode == HttpStatusCode.Unauthorized,
            "the second portal to require the token",
            TimeSpan.FromSeconds(10));
    }
}
