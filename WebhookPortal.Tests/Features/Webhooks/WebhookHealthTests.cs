using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>A portal on real time where a webhook is disabled after 2 s of only failures, and Retry-After is capped at 2 s.</summary>
public sealed class WebhookHealthPortalFactory : DeliveryPortalFactory
{
    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        base.ConfigurePortal(builder);
        builder.UseSetting("Delivery:DisableAfter", "00:00:02");
        builder.UseSetting("Delivery:MaxRetryAfter", "00:00:02");
    }
}

/// <summary>Retry schedules per webhook, Retry-After, 410 Gone, the health state and the failure rule, end to end with a local receiver.</summary>
public sealed class WebhookHealthTests(WebhookHealthPortalFactory portal) : IClassFixture<WebhookHealthPortalFactory>
{
    private async Task<(TestWebhook Webhook, JsonElement View)> CreateAsync(string url, string? retrySchedule = null)
    {
        var org = "Org-" + Guid.NewGuid().ToString("N")[..8];
        var integrationId = await portal.CreateIntegrationAsync(org);
        var body = new Dictionary<string, object?> { ["name"] = "hook-" + org, ["postURL"] = url };
        if (retrySchedule is not null)
        {
            body["retrySchedule"] = retrySchedule;
        }

        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", body)).ReadJsonAsync(HttpStatusCode.Created);
        return (new TestWebhook(org, integrationId, created.GetProperty("id").GetGuid()), created);
    }

    private async Task<JsonElement> GetAsync(TestWebhook webhook) =>
        await (await portal.AsAdmin().GetAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}")).ReadJsonAsync(HttpStatusCode.OK);

    private async Task<JsonElement> WaitForHealthAsync(TestWebhook webhook, string state, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var view = await GetAsync(webhook);
            if (view.GetProperty("health").GetProperty("state").GetString() == state)
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The webhook's health is {view.GetProperty("health")}, expected '{state}'.");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_new_webhook_is_healthy_on_the_default_schedule()
    {
        var (_, view) = await CreateAsync("https://hooks.example.com/a");

        Assert.Equal("healthy", view.GetProperty("health").GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("retrySchedule").ValueKind);
    }

    [Fact]
    public async Task The_retry_schedule_is_set_changed_and_reset_and_a_bad_one_changes_nothing()
    {
        var (webhook, view) = await CreateAsync("https://hooks.example.com/a", "Resilient");
        Assert.Equal("resilient", view.GetProperty("retrySchedule").GetString());
        var admin = portal.AsAdmin();

        var changed = await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { retrySchedule = "00:00:05, 00:10:00" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("00:00:05,00:10:00", changed.GetProperty("retrySchedule").GetString());

        // A field left out keeps the schedule.
        var renamed = await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { name = "renamed" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("00:00:05,00:10:00", renamed.GetProperty("retrySchedule").GetString());

        var problem = await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { retrySchedule = "fast" })).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("retrySchedule", out _));
        Assert.Equal("00:00:05,00:10:00", (await GetAsync(webhook)).GetProperty("retrySchedule").GetString());

        var reset = await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { retrySchedule = "" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, reset.GetProperty("retrySchedule").ValueKind);

        var before = await portal.WithDbAsync(db => db.Webhooks.CountAsync());
        var org = "Org-" + Guid.NewGuid().ToString("N")[..8];
        await portal.CreateIntegrationAsync(org);
        await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "x", postURL = "https://hooks.example.com/x", retrySchedule = "-00:00:01" })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "x", postURL = "https://hooks.example.com/x", retrySchedule = 5 })).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Webhooks.CountAsync()));
    }

    [Fact]
    public async Task Support_reads_health_and_schedule_but_cannot_change_them()
    {
        var (webhook, _) = await CreateAsync("https://hooks.example.com/a", "resilient");
        var support = await portal.AsSupportAsync();

        var view = await (await support.GetAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("healthy", view.GetProperty("health").GetProperty("state").GetString());
        Assert.Equal("resilient", view.GetProperty("retrySchedule").GetString());
        await (await support.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { retrySchedule = "seed" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().GetAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("resilient", (await GetAsync(webhook)).GetProperty("retrySchedule").GetString());
    }

    [Fact]
    public async Task A_410_disables_the_webhook_at_once_and_says_why()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Default = new PlannedAnswer(410);
        var (webhook, _) = await CreateAsync(receiver.Url(), "resilient");

        await portal.PublishAsync(webhook.IntegrationId);

        var failed = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Failed, TimeSpan.FromSeconds(30));
        Assert.Contains("410", failed.LastError);
        var view = await WaitForHealthAsync(webhook, "disabled");
        Assert.False(view.GetProperty("enabled").GetBoolean());
        Assert.Contains("410 Gone", view.GetProperty("health").GetProperty("reason").GetString());
        Assert.Equal("410", await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id).Select(w => w.DisabledBy).SingleAsync()));

        // The portal's own decision is in the audit trail, by the system.
        var audited = await portal.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.ResourceId == webhook.Id.ToString() && e.Action == "webhook.disabled"));
        Assert.Equal(WebhookPortal.Features.Audit.AuditActorKinds.System, audited.ActorKind);
        Assert.Equal("receiver answered 410 Gone", audited.ActorName);
        Assert.Contains("410 Gone", audited.Summary);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task Retry_after_moves_the_next_attempt_and_is_shown_on_the_attempt()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(503, Headers: new Dictionary<string, string> { ["Retry-After"] = "1" }));
        // The schedule alone would wait ten minutes.
        var (webhook, _) = await CreateAsync(receiver.Url(), "00:10:00");

        await portal.PublishAsync(webhook.IntegrationId);

        // Generous: on PostgreSQL Hangfire polls its queue every 5 s, and CI machines are loaded; the schedule alone would take 10 minutes.
        var delivered = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(45));
        var requests = receiver.Requests;
        Assert.Equal(2, requests.Count);
        Assert.InRange(requests[1].Time - requests[0].Time, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(40));
        var firstAttempt = await portal.WithDbAsync(db => db.LogEntries.Where(e => e.DeliveryId == delivered.Id && e.Attempt == 1).SingleAsync());
        Assert.Contains("Retry-After: 1 s", firstAttempt.Error);
        Assert.Contains("Retry-After honoured", firstAttempt.Error);
    }

    [Fact]
    public async Task A_retry_after_beyond_the_maximum_is_capped()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(429, Headers: new Dictionary<string, string> { ["Retry-After"] = "86400" }));
        var (webhook, _) = await CreateAsync(receiver.Url(), "00:10:00");

        await portal.PublishAsync(webhook.IntegrationId);

        // Delivery:MaxRetryAfter is 2 s here, not a day (the 10-minute schedule would not finish in this wait either).
        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(45));
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task Every_attempt_names_its_event_type_and_number()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500));
        var (webhook, _) = await CreateAsync(receiver.Url(), "00:00:00.200");

        await portal.PublishAsync(webhook.IntegrationId, eventType: "order.created");

        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered);
        var requests = receiver.Requests;
        Assert.Equal(["1", "2"], requests.Select(r => r.Headers["webhook-attempt"]));
        Assert.All(requests, r => Assert.Equal("order.created", r.Headers["webhook-event-type"]));
        // The same message both times.
        Assert.Equal(requests[0].Headers["webhook-id"], requests[1].Headers["webhook-id"]);
    }

    [Fact]
    public async Task A_failing_webhook_is_healthy_again_after_a_success()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500));
        var (webhook, _) = await CreateAsync(receiver.Url(), "00:00:00.500");

        await portal.PublishAsync(webhook.IntegrationId);

        await receiver.WaitForAsync(1);
        var failing = await WaitForHealthAsync(webhook, "failing");
        Assert.NotEqual(JsonValueKind.Null, failing.GetProperty("health").GetProperty("since").ValueKind);
        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered);
        await WaitForHealthAsync(webhook, "healthy");
    }

    [Fact]
    public async Task Only_failures_for_the_disable_after_period_disable_the_webhook_by_the_failure_rule()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Default = new PlannedAnswer(500);
        var (webhook, _) = await CreateAsync(receiver.Url(), string.Join(",", Enumerable.Repeat("00:00:00.500", 10)));

        await portal.PublishAsync(webhook.IntegrationId);

        var view = await WaitForHealthAsync(webhook, "disabled", TimeSpan.FromSeconds(45));
        Assert.Contains("Delivery:DisableAfter", view.GetProperty("health").GetProperty("reason").GetString());
        Assert.Equal("failure rule", await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id).Select(w => w.DisabledBy).SingleAsync()));
        var audited = await portal.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.ResourceId == webhook.Id.ToString() && e.Action == "webhook.disabled"));
        Assert.Equal("delivery failure rule", audited.ActorName);
        Assert.Contains("Delivery:DisableAfter", audited.Summary);
        // Disabled after 2 s of failures: well before the schedule's ten retries ran out; the rest is held for a re-enable.
        var delivery = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Held, TimeSpan.FromSeconds(30));
        Assert.Contains("disabled", delivery.LastError);
        Assert.InRange(delivery.AttemptCount, 2, 10);
    }

    [Fact]
    public async Task A_person_disabling_is_recorded_and_enabling_clears_the_state()
    {
        var (webhook, _) = await CreateAsync("https://hooks.example.com/a");
        var admin = portal.AsAdmin();

        var disabled = await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { enabled = false })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("disabled", disabled.GetProperty("health").GetProperty("state").GetString());
        Assert.Contains("Disabled by", disabled.GetProperty("health").GetProperty("reason").GetString());

        var enabled = await (await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { enabled = true })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("healthy", enabled.GetProperty("health").GetProperty("state").GetString());
        Assert.Null(await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id).Select(w => w.DisabledReason).SingleAsync()));
    }
}
