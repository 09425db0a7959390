using System.Net;
using System.Net.Http.Json;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Integrations;

/// <summary>
/// An integration created, renamed or deleted through one portal shows on another sharing the database: at once on
/// PostgreSQL (a LISTEN/NOTIFY signal; lists are kept ten minutes here, so only the signal can do it), after the
/// list's expiry on SQLite.
/// </summary>
public sealed class IntegrationCatalogAcrossInstancesTests() : TwoPortalsTest<LongCachePortal>(() => new LongCachePortal(), directory => new LongCachePortal(directory))
{
    private static async Task<List<string>> NamesAsync(HttpClient client) =>
        (await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    private async Task SecondSeesAsync(Func<List<string>, bool> seen, string what)
    {
        if (!First.OnPostgres)
        {
            Second.Clock.Advance(LongCachePortal.CacheDuration + TimeSpan.FromSeconds(1));
        }

        await Eventually.TrueAsync(async () => seen(await NamesAsync(Second.AsAdmin())), what, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_change_through_one_portal_shows_in_the_others_list()
    {
        Assert.DoesNotContain("Shared-CRM", await NamesAsync(Second.AsAdmin())); // now kept by the second portal

        var created = await (await First.AsAdmin().PostAsJsonAsync("/api/integrations", new { name = "Shared-CRM" })).ReadJsonAsync(HttpStatusCode.Created);
        await SecondSeesAsync(names => names.Contains("Shared-CRM"), "the second portal to list the new integration");

        var id = created.GetProperty("id").GetGuid();
        await (await First.AsAdmin().PutAsJsonAsync($"/api/integrations/{id}", new { name = "Shared-CRM-2" })).ReadJsonAsync(HttpStatusCode.OK);
        await SecondSeesAsync(names => names.Contains("Shared-CRM-2") && !names.Contains("Shared-CRM"), "the second portal to list the new name");

        Assert.Equal(HttpStatusCode.NoContent, (await First.AsAdmin().DeleteAsync($"/api/integrations/{id}")).StatusCode);
        await SecondSeesAsync(names => !names.Contains("Shared-CRM-2"), "the second portal to drop the deleted integration");
    }
}
