using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>
/// A webhook created, disabled or deleted through one portal changes where the other portal's next publish goes: at
/// once on PostgreSQL (a LISTEN/NOTIFY signal; routes are kept ten minutes here, so only the signal can do it), after
/// the routes' expiry on SQLite.
/// </summary>
public sealed class PublishRoutesAcrossInstancesTests() : TwoPortalsTest<LongCachePortal>(() => new LongCachePortal(), directory => new LongCachePortal(directory))
{
    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Publishes through the second portal until its deliveries go to <paramref name="expected"/>.</summary>
    private async Task SecondPublishesToAsync(Guid integrationId, string[] expected, string what)
    {
        if (!First.OnPostgres)
        {
            Second.Clock.Advance(LongCachePortal.CacheDuration + TimeSpan.FromSeconds(1));
        }

        await Eventually.TrueAsync(async () =>
        {
            var published = await (await Second.AsAdmin().PostAsync($"/api/integrations/{integrationId}/messages", Body("""{"eventType":"order.created","payload":{}}""")))
                .ReadJsonAsync(HttpStatusCode.Accepted);
            var messageId = published.GetProperty("id").GetGuid();
            var names = await Second.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.MessageId == messageId).Select(d => d.TargetName).OrderBy(n => n).ToListAsync());
            return names.SequenceEqual(expected);
        }, what, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_webhook_changed_through_one_portal_changes_where_the_others_next_publish_goes()
    {
        var org = "Shared-" + Guid.NewGuid().ToString("N")[..8];
        var integrationId = await First.CreateIntegrationAsync(org);
        await SecondPublishesToAsync(integrationId, [], "the second portal to keep the integration's routes (none yet)");

        var created = await (await First.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"shared","postURL":"https://shared.example.invalid/h"}""")))
            .ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        await SecondPublishesToAsync(integrationId, ["shared"], "the second portal to publish to the new webhook");

        await (await First.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("""{"enabled":false}"""))).ReadJsonAsync(HttpStatusCode.OK);
        await SecondPublishesToAsync(integrationId, [], "the second portal to stop publishing to the disabled webhook");
    }
}
