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

    private Task<int> RedeliveryJobsAsync() => portal.WithDbAsync(db => db.Jobs.CountAsync(j => j.Kind == RedeliveryJobs.Kind));

    /// <summary>The 202's job, read (as the page does) until none of its deliveries is pending.</summary>
    private async Task<System.Text.Json.JsonElement> FinishedRedeliveryAsync(HttpResponseMessage response, HttpClient? client = null)
    {
        var answer = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        var jobId = answer.GetProperty("jobId").GetGuid();
        Assert.Equal($"/api/deliveries/redeliveries/{jobId}", response.Headers.Location?.OriginalString);
        return await Eventually.ValueAsync(async () => await (await (client ?? portal.AsAdmin()).GetAsync($"/api/deliveries/redeliveries/{jobId}")).ReadJsonAsync(HttpStatusCode.OK),
            r => r.GetProperty("status").GetString() == "succeeded", "the redelivery to finish", TimeSpan.FromSeconds(45));
    }

    [Fact]
    public async Task Recover_sends_every_message_that_failed_since_the_time_once_with_its_webhook_id()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, _) = await FailThreeAsync(receiver);
        var firstIds = receiver.Requests.Select(r => r.Headers["webhook-id"]).ToHashSet();

        var response = await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", new { since = DateTime.UtcNow.AddHours(-1) });
        var answer = await response.ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(3, answer.GetProperty("count").GetInt32());
        Assert.Equal("running", answer.GetProperty("status").GetString());
        var progress = await FinishedRedeliveryAsync(response);
        Assert.Equal(answer.GetProperty("jobId").GetGuid(), progress.GetProperty("jobId").GetGuid());
        Assert.Equal((3, 3, 0, 0, 0, 100), (progress.GetProperty("total").GetInt32(), progress.GetProperty("delivered").GetInt32(), progress.GetProperty("failed").GetInt32(),
            progress.GetProperty("pending").GetInt32(), progress.GetProperty("cancelled").GetInt32(), progress.GetProperty("progress").GetInt32()));
        Assert.Equal("3 deliveries sent again: 3 delivered, 0 failed.", progress.GetProperty("summary").GetString());
        Assert.Equal(3, await DeliveredCountAsync(webhook.Id));
        var again = receiver.Requests.Skip(3).Select(r => r.Headers["webhook-id"]).ToHashSet();
        Assert.Equal(firstIds, again);

        // Recovering again sends nothing: every message has been delivered since.
        var second = await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/recover", new { since = DateTime.UtcNow.AddHours(-1) })).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(0, second.GetProperty("count").GetInt32());
        Assert.Equal("succeeded", second.GetProperty("status").GetString());
        var nothing = await (await portal.AsAdmin().GetAsync($"/api/deliveries/redeliveries/{second.GetProperty("jobId").GetGuid()}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal((0, 100), (nothing.GetProperty("total").GetInt32(), nothing.GetProperty("progress").GetInt32()));
        Assert.StartsWith("Nothing was sent again", nothing.GetProperty("summary").GetString());
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
        var jobs = await RedeliveryJobsAsync();
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{Guid.NewGuid()}/recover", new { since = DateTime.UtcNow.AddHours(-1) })).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(3, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id)));
        Assert.Equal(jobs, await RedeliveryJobsAsync());
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

        // One of the two is refused again (a 400 fails at once), the other accepted.
        receiver.Answer(new PlannedAnswer(400));

        var response = await portal.AsAdmin().PostAsJsonAsync("/api/deliveries/redeliver", new { ids = failed.Take(2).Select(d => d.Id) });
        var answer = await response.ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(2, answer.GetProperty("count").GetInt32());
        var jobId = answer.GetProperty("jobId").GetGuid();
        var progress = await FinishedRedeliveryAsync(response);
        Assert.Equal((2, 1, 1, 0, 100), (progress.GetProperty("total").GetInt32(), progress.GetProperty("delivered").GetInt32(), progress.GetProperty("failed").GetInt32(),
            progress.GetProperty("pending").GetInt32(), progress.GetProperty("progress").GetInt32()));
        Assert.Equal("2 deliveries sent again: 1 delivered, 1 failed.", progress.GetProperty("summary").GetString());
        // The new deliveries carry the job; the originals do not.
        var stamped = await portal.WithDbAsync(db => db.Deliveries.Where(d => d.JobId == jobId).Select(d => d.MessageId).ToListAsync());
        Assert.Equal(failed.Take(2).Select(d => d.MessageId).Order(), stamped.Order());
        Assert.Equal(1, await DeliveredCountAsync(webhook.Id));
        Assert.Equal(1, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Failed && d.MessageId == failed[2].MessageId)));
        // The first read that found it finished wrote its end to the job's row.
        var row = await portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));
        Assert.Equal((WebhookPortal.Features.Jobs.JobStatus.Succeeded, 100, progress.GetProperty("summary").GetString()), (row.Status, row.Progress, row.Summary));
    }

    [Fact]
    public async Task Bulk_redeliver_refuses_no_ids_too_many_or_an_unknown_one_and_queues_nothing()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, failed) = await FailThreeAsync(receiver);
        var admin = portal.AsAdmin();
        var jobs = await RedeliveryJobsAsync();

        await (await admin.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = Array.Empty<Guid>() })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/deliveries/redeliver", new { })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = Enumerable.Range(0, 501).Select(_ => Guid.NewGuid()) })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = new[] { failed[0].Id, Guid.NewGuid() } })).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.Anonymous().PostAsJsonAsync("/api/deliveries/redeliver", new { ids = new[] { failed[0].Id } })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: webhook.IntegrationId));
        await (await subscriber.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = new[] { failed[0].Id } })).AssertProblemAsync(HttpStatusCode.Forbidden);

        Assert.Equal(3, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id)));
        Assert.Equal(jobs, await RedeliveryJobsAsync());
    }

    [Fact]
    public async Task Support_may_redeliver_many()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (_, failed) = await FailThreeAsync(receiver);
        var support = await portal.AsSupportAsync();

        var response = await support.PostAsJsonAsync("/api/deliveries/redeliver", new { ids = failed.Select(d => d.Id) });

        // Support follows the progress of what they started.
        var progress = await FinishedRedeliveryAsync(response, support);
        Assert.Equal(3, progress.GetProperty("total").GetInt32());
        Assert.Equal(PortalFactory.SupportEmail, progress.GetProperty("requestedBy").GetString());
    }
}
