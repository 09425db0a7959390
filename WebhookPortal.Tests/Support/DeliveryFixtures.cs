using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Tests.Support;

/// <summary>A webhook created through the seed API, as an automation client would.</summary>
public sealed record TestWebhook(string Org, Guid IntegrationId, Guid Id);

/// <summary>Webhooks, published messages and their deliveries, for tests of the outbound side.</summary>
public static class DeliveryFixtures
{
    public static async Task<TestWebhook> CreateWebhookAsync(this PortalFactory portal, string url, IReadOnlyDictionary<string, string>? headers = null)
    {
        var org = "Org-" + Guid.NewGuid().ToString("N")[..8];
        var integrationId = await portal.CreateIntegrationAsync(org);
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "hook-" + org, postURL = url, headers }))
            .ReadJsonAsync(HttpStatusCode.Created);
        return new TestWebhook(org, integrationId, created.GetProperty("id").GetGuid());
    }

    public static async Task PublishAsync(this PortalFactory portal, Guid integrationId, string payload = """{"n":1}""", string eventType = "usage.threshold")
    {
        var response = await portal.AsAdmin().PostAsync($"/api/integrations/{integrationId}/messages",
            new StringContent($$"""{"eventType":"{{eventType}}","payload":{{payload}}}""", Encoding.UTF8, "application/json"));
        await response.ReadJsonAsync(HttpStatusCode.Accepted);
    }

    /// <summary>Polls the newest delivery to a target until it reaches <paramref name="state"/>.</summary>
    public static async Task<Delivery> WaitForDeliveryAsync(this PortalFactory portal, Guid targetId, DeliveryState state, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var delivery = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == targetId).OrderByDescending(d => d.CreatedUtc).FirstOrDefaultAsync());
            if (delivery?.State == state)
            {
                return delivery;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The delivery to {targetId} is '{delivery?.State}', expected '{state}'.");
            }

            await Task.Delay(50);
        }
    }
}
