using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>
/// A failing webhook gets one probe at a time while the rest waits (half-open), and its backlog goes when the probe
/// succeeds; a disabled webhook's deliveries are held, and enabling it sends them (issue 16).
/// </summary>
public sealed class WebhookProbeTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private async Task WaitForHealthAsync(TestWebhook webhook, string state) =>
        await Eventually.TrueAsync(async () =>
        {
            var view = await (await portal.AsAdmin().GetAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}")).ReadJsonAsync(HttpStatusCode.OK);
            return view.GetProperty("health").GetProperty("state").GetString() == state;
        }, $"the webhook to be {state}", TimeSpan.FromSeconds(45));

    private Task<List<Delivery>> DeliveriesAsync(Guid webhookId) =>
        portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == webhookId).ToListAsync());

    [Fact]
    public async Task While_failing_one_probe_goes_at_a_time_and_the_backlog_follows_its_success()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500), new PlannedAnswer(500), new PlannedAnswer(500));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());

        await portal.PublishAsync(webhook.IntegrationId, """{"n":0}""");
        await receiver.WaitForAsync(1);
        await WaitForHealthAsync(webhook, "failing");
        var health = await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id).Select(w => new { w.FailingSinceUtc, w.ProbeAfterUtc }).SingleAsync());
        Assert.NotNull(health.ProbeAfterUtc);

        // New messages while it fails: they wait behind the probe instead of each trying (and failing) at once.
        for (var i = 1; i <= 5; i++)
        {
            await portal.PublishAsync(webhook.IntegrationId, $$"""{"n":{{i}}}""");
        }

        await Eventually.TrueAsync(async () => (await DeliveriesAsync(webhook.Id)).Count(d => d.State == DeliveryState.Delivered) == 6,
            "all six deliveries delivered after the probe succeeded", TimeSpan.FromSeconds(60));

        // 3 failures, each alone (a probe about every second, the retry interval), then 6 successes: nothing was hammered.
        var requests = receiver.Requests.OrderBy(r => r.Time).ToList();
        Assert.Equal(9, requests.Count);
        for (var i = 1; i <= 3; i++)
        {
            Assert.True(requests[i].Time - requests[i - 1].Time >= TimeSpan.FromMilliseconds(800),
                $"request {i + 1} came {(requests[i].Time - requests[i - 1].Time).TotalMilliseconds:0} ms after the one before: more than one probe at a time.");
        }

        // Each message arrived once successfully; waiting behind the probe did not count as an attempt.
        Assert.Equal(6, requests.Skip(3).Select(r => r.Headers["webhook-id"]).Distinct().Count());
        var deliveries = await DeliveriesAsync(webhook.Id);
        Assert.Equal(3 + 6, deliveries.Sum(d => d.AttemptCount));
        await WaitForHealthAsync(webhook, "healthy");
        Assert.Null(await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id).Select(w => w.ProbeAfterUtc).SingleAsync()));
    }

    [Fact]
    public async Task A_disabled_webhooks_deliveries_are_held_and_enabling_it_sends_them()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var admin = portal.AsAdmin();

        await portal.PublishAsync(webhook.IntegrationId);
        await receiver.WaitForAsync(1);
        await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { enabled = false })).ReadJsonAsync(HttpStatusCode.OK);

        var held = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Held, TimeSpan.FromSeconds(30));
        Assert.Equal(1, held.AttemptCount);
        Assert.Single(receiver.Requests);

        // A held delivery is neither redelivered (it is not finished) nor swept.
        var redeliver = await admin.PostAsync($"/api/deliveries/{held.Id}/redeliver", null);
        await redeliver.AssertProblemAsync(HttpStatusCode.Conflict);

        await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { enabled = true })).ReadJsonAsync(HttpStatusCode.OK);

        var delivered = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(30));
        Assert.Equal(held.Id, delivered.Id);
        Assert.Equal(2, delivered.AttemptCount);
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task Deleting_a_disabled_webhook_cancels_its_held_deliveries()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var admin = portal.AsAdmin();
        await portal.PublishAsync(webhook.IntegrationId);
        await receiver.WaitForAsync(1);
        await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { enabled = false })).ReadJsonAsync(HttpStatusCode.OK);
        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Held, TimeSpan.FromSeconds(30));

        // Held counts as pending for a delete: refused without force, cancelled with it.
        var refused = await admin.DeleteAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}?forceDelete=false");
        await refused.AssertProblemAsync(HttpStatusCode.Conflict);
        (await admin.DeleteAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}?forceDelete=true")).EnsureSuccessStatusCode();

        Assert.Equal(DeliveryState.Cancelled, (await DeliveriesAsync(webhook.Id)).Single().State);
    }
}
