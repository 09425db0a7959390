using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// <c>Roles:SupportMayRedeliver=false</c> leaves Support read-only: redeliver, retry now and replay answer 403 to
/// Support and change nothing, while administrators keep them. (With the default, Support may: see the delivery
/// and log tests.)
/// </summary>
public sealed class SupportActionsSettingTests(SupportActionsSettingTests.Portal portal) : IClassFixture<SupportActionsSettingTests.Portal>
{
    public sealed class Portal : DeliveryPortalFactory
    {
        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.UseSetting("Roles:SupportMayRedeliver", "false");
        }
    }

    private async Task<Delivery> FailedDeliveryAsync(LoopbackReceiver receiver)
    {
        receiver.Default = new PlannedAnswer(400);
        var org = "Org-" + Guid.NewGuid().ToString("N")[..8];
        var integrationId = await portal.CreateIntegrationAsync(org);
        var webhook = await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "hook-" + org, postURL = receiver.Url() })).ReadJsonAsync(HttpStatusCode.Created);
        var webhookId = webhook.GetProperty("id").GetGuid();
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/messages", new { eventType = "order.created", payload = new { n = 1 } })).ReadJsonAsync(HttpStatusCode.Accepted);
        return await Eventually.ValueAsync(
            () => portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleOrDefaultAsync(d => d.TargetId == webhookId)),
            d => d is { State: DeliveryState.Failed }, "the delivery failed on a 400") ?? throw new InvalidOperationException();
    }

    [Fact]
    public async Task Support_may_not_redeliver_retry_or_replay_and_nothing_is_sent_or_stored()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var failed = await FailedDeliveryAsync(receiver);
        var listener = await portal.CreateListenerAsync();
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1,"name":"a"}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var logged = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items")[0].GetProperty("id").GetInt64();
        var support = await portal.AsSupportAsync();

        var refusals = new[]
        {
            await support.PostAsync($"/api/deliveries/{failed.Id}/redeliver", null),
            await support.PostAsync($"/api/deliveries/{failed.Id}/retry", null),
            await support.PostAsync($"/api/logs/{logged}/replay", null),
        };

        foreach (var refusal in refusals)
        {
            var problem = await refusal.AssertProblemAsync(HttpStatusCode.Forbidden);
            Assert.Contains("Roles:SupportMayRedeliver", problem.GetProperty("detail").GetString());
        }

        Assert.Equal(1, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.MessageId == failed.MessageId)));
        Assert.Single(receiver.Requests);
        Assert.Single((await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Administrators_still_may()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var failed = await FailedDeliveryAsync(receiver);

        await (await portal.AsAdmin().PostAsync($"/api/deliveries/{failed.Id}/redeliver", null)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(2, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.MessageId == failed.MessageId)));
    }

    [Fact]
    public async Task Support_may_not_start_a_bulk_replay_and_nothing_starts()
    {
        var listener = await portal.CreateListenerAsync();
        // A failed request (422: "seven" is no number) to replay.
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":"seven"}]}}"""))).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        var support = await portal.AsSupportAsync();
        var range = new { from = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc), state = "error" };

        var problem = await (await support.PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", range)).AssertProblemAsync(HttpStatusCode.Forbidden);

        Assert.Contains("Roles:SupportMayRedeliver", problem.GetProperty("detail").GetString());
        Assert.Equal(0, (await (await support.GetAsync($"/api/listeners/{listener.Id}/replays")).ReadJsonAsync(HttpStatusCode.OK)).GetArrayLength());
        Assert.Single((await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items").EnumerateArray());

        // An administrator still may: the same range holds the one failed request.
        var started = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", range)).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(1, started.GetProperty("count").GetInt32());
    }
}
