using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>Recovering everything that failed since a time, and redelivering many deliveries at once, keeping each message's webhook-id.</summary>
public sealed class DeliveryRecoveryTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private async Task<(TestWebhook Webhook, List<Delivery> Failed)> FailThreeAsync(LoopbackReceiver receiver)
    {
        // 400 fails at once under the seed schedule; afterwards the receiver is fixed.
        receiver.Answer(new PlannedAnswer(400), new PlannedAnswer(400), new PlannedAnswer(400));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        for (var i = 0; i < 3; i++)
        {
            await portal.PublishAsync(webhook.IntegrationId, $$"""{"n":{{i}}}""");
        }

        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Failed)) == 3,
            "three failed deliveries", TimeSpan.FromSeconds(60));
        var failed = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == webhook.Id).ToListAsync());
        return (webhook, failed);
    }

    private Task<int> DeliveredCountAsync(Guid webhookId) =>
        portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhookId && d.State == DeliveryState.Delivered));

    [Fact]
    public async Task Recover_sends_every_message_that_failed_since_the_time_once_with_its_webhook_id()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, _) = await FailThreeAsync(receiver);
        var firstIds = receiver.Requests.Select(r => r.Headers["webhook-id"]).ToHashSet();

        var answer = await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", new { since = DateTime.UtcNow.AddHours(-1) })).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(3, answer.GetProperty("count").GetInt32());
        await Eventually.TrueAsync(async () => await DeliveredCountAsync(webhook.Id) == 3, "the three recovered deliveries", TimeSpan.FromSeconds(45));
        var again = receiver.Requests.Skip(3).Select(r => r.Headers["webhook-id"]).ToHashSet();
        Assert.Equal(firstIds, again);

        // Recovering again sends nothing: every message has been delivered since.
        var second = await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", new { since = DateTime.UtcNow.AddHours(-1) })).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(0, second.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Recover_leaves_failures_before_the_time_alone()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, _) = await FailThreeAsync(receiver);

        var answer = await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", new { since = DateTime.UtcNow.AddMinutes(5) })).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(0, answer.GetProperty("count").GetInt32());
        Assert.Equal(3, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id)));
    }

    [Fact]
    public async Task Recover_refuses_a_missing_time_and_an_unknown_webhook_and_queues_nothing()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, _) = await FailThreeAsync(receiver);

        var problem = await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", new { })).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("since", out _));
        await (await portal.AsAdmin().PostAsync($"/api/webhooks/{webhook.Id}/recover", new StringContent("""{"since":"yesterday"}""", System.Text.Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{Guid.NewGuid()}/recover", new { since = DateTime.UtcNow.AddHours(-1) })).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(3, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id)));
    }

    [Fact]
    public async Task Support_may_recover_a_subscriber_key_and_strangers_may_not()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, _) = await FailThreeAsync(receiver);
        var body = new { since = DateTime.UtcNow.AddHours(-1) };

        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: webhook.IntegrationId));
        await (await subscriber.PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", body)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", body)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(3, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id)));

        var support = await portal.AsSupportAsync();
        var answer = await (await support.PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", body)).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(3, answer.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Bulk_redeliver_sends_the_chosen_finished_deliveries_again()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, failed) = await FailThreeAsync(receiver);

        var answer = await (await portal.AsAdmin().PostAsJsonAsync("/api/deliveries/redeliver", new { ids = failed.Take(2).Select(d => d.Id) })).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(2, answer.GetProperty("count").GetInt32());
        await Eventually.TrueAsync(async () => await DeliveredCountAsync(webhook.Id) == 2, "the two redelivered", TimeSpan.FromSeconds(45));
        Assert.Equal(1, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Failed && d.MessageId == failed[2].MessageId)));
    }

    [Fact]
    public async Task Bulk_redeliver_refuses_no_ids_too_many_or_an_unknown_one_and_queues_nothing()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, failed) = await FailThreeAsync(receiver);
        var admin = portal.AsAdmin();

        await (await admin.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = Array.Empty<Guid>() })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/deliveries/redeliver", new { })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = Enumerable.Range(0, 501).Select(_ => Guid.NewGuid()) })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = new[] { failed[0].Id, Guid.NewGuid() } })).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.Anonymous().PostAsJsonAsync("/api/deliveries/redeliver", new { ids = new[] { failed[0].Id } })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: webhook.IntegrationId));
        await (await subscriber.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = new[] { failed[0].Id } })).AssertProblemAsync(HttpStatusCode.Forbidden);

        Assert.Equal(3, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id)));
    }

    [Fact]
    public async Task Support_may_redeliver_many()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (_, failed) = await FailThreeAsync(receiver);
        var support = await portal.AsSupportAsync();

        var answer = await (await support.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = failed.Select(d => d.Id) })).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(3, answer.GetProperty("count").GetInt32());
    }
}
