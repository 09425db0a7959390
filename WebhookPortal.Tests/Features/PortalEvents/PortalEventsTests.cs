using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.PortalEvents;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.PortalEvents;

/// <summary>
/// portal.webhook.failing and portal.webhook.disabled: raised once when a webhook starts failing or is disabled, listed by
/// the API, and delivered to the integration's other webhooks that list the type (issue 16).
/// </summary>
public sealed class PortalEventsTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    /// <summary>A webhook to <paramref name="url"/> and, in the same integration, a watcher that lists the portal's events and a catch-all.</summary>
    private async Task<(TestWebhook Watched, Guid Watcher, Guid CatchAll)> CreateAsync(string url, string watcherUrl, string catchAllUrl)
    {
        var watched = await portal.CreateWebhookAsync(url);
        var admin = portal.AsAdmin();
        var watcher = await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{watched.Org}/webhooks",
            new { name = "ops", postURL = watcherUrl, eventTypes = PortalEventTypes.All })).ReadJsonAsync(HttpStatusCode.Created);
        var catchAll = await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{watched.Org}/webhooks",
            new { name = "everything", postURL = catchAllUrl })).ReadJsonAsync(HttpStatusCode.Created);
        return (watched, watcher.GetProperty("id").GetGuid(), catchAll.GetProperty("id").GetGuid());
    }

    private async Task<JsonElement> ListAsync(string query) =>
        await (await portal.AsAdmin().GetAsync("/api/portal-events" + query)).ReadJsonAsync(HttpStatusCode.OK);

    [Fact]
    public async Task A_webhook_that_starts_failing_raises_one_event_delivered_to_the_webhooks_that_list_it()
    {
        await using var failing = await LoopbackReceiver.StartAsync();
        failing.Default = new PlannedAnswer(500);
        await using var ops = await LoopbackReceiver.StartAsync();
        await using var everything = await LoopbackReceiver.StartAsync();
        var (watched, watcher, _) = await CreateAsync(failing.Url(), ops.Url(), everything.Url());

        // The catch-all gets the published message (a success), the watched webhook fails it four times.
        await portal.PublishAsync(watched.IntegrationId, """{"n":1}""", "usage.threshold");
        var sent = await ops.WaitForAsync(1, TimeSpan.FromSeconds(30)); // the watcher lists only the portal's events
        await everything.WaitForAsync(1);

        var portalEvent = Assert.Single(sent, r => r.Headers["webhook-event-type"] == PortalEventTypes.WebhookFailing);
        using var body = JsonDocument.Parse(portalEvent.Body);
        Assert.Equal(PortalEventTypes.WebhookFailing, body.RootElement.GetProperty("type").GetString());
        Assert.Equal(watched.Id, body.RootElement.GetProperty("webhook").GetProperty("id").GetGuid());
        Assert.Equal("failing", body.RootElement.GetProperty("health").GetProperty("state").GetString());
        Assert.Contains("500", body.RootElement.GetProperty("reason").GetString());

        // More failures do not raise it again; the failing webhook and the catch-all never get portal events.
        await Eventually.TrueAsync(async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == watched.Id && d.State == WebhookPortal.Features.Deliveries.DeliveryState.Failed)) == 1,
            "the watched webhook's delivery to fail for good", TimeSpan.FromSeconds(45));
        Assert.True(failing.Requests.Count >= 2);
        var listed = await ListAsync($"?webhookId={watched.Id}");
        var only = Assert.Single(listed.EnumerateArray());
        Assert.Equal(PortalEventTypes.WebhookFailing, only.GetProperty("type").GetString());
        Assert.Equal(watched.IntegrationId, only.GetProperty("integrationId").GetGuid());
        Assert.All(failing.Requests, r => Assert.False(PortalEventTypes.IsPortalEvent(r.Headers["webhook-event-type"])));
        Assert.All(everything.Requests, r => Assert.False(PortalEventTypes.IsPortalEvent(r.Headers["webhook-event-type"])));
        Assert.Single(ops.Requests, r => r.Headers["webhook-event-type"] == PortalEventTypes.WebhookFailing);
        Assert.Equal(0, await portal.WithDbAsync(db => db.PortalEvents.CountAsync(e => e.WebhookId == watcher)));
    }

    [Fact]
    public async Task A_410_and_a_person_disabling_each_raise_portal_webhook_disabled()
    {
        await using var gone = await LoopbackReceiver.StartAsync();
        gone.Default = new PlannedAnswer(410);
        await using var ops = await LoopbackReceiver.StartAsync();
        await using var everything = await LoopbackReceiver.StartAsync();
        var (watched, _, catchAll) = await CreateAsync(gone.Url(), ops.Url(), everything.Url());

        await portal.PublishAsync(watched.IntegrationId);
        var disabled = await Eventually.ValueAsync(() => ops.WaitForAsync(1, TimeSpan.FromSeconds(30)),
            requests => requests.Any(r => r.Headers["webhook-event-type"] == PortalEventTypes.WebhookDisabled), "portal.webhook.disabled at the watcher", TimeSpan.FromSeconds(30));
        Assert.Contains("410", disabled.First(r => r.Headers["webhook-event-type"] == PortalEventTypes.WebhookDisabled).Body);

        // A person disables the catch-all: the event says who.
        await (await portal.AsAdmin().PutAsJsonAsync($"/v1/mint/organizations/{watched.Org}/webhooks/{catchAll}", new { enabled = false })).ReadJsonAsync(HttpStatusCode.OK);
        var byPerson = Assert.Single((await ListAsync($"?webhookId={catchAll}")).EnumerateArray());
        Assert.Equal(PortalEventTypes.WebhookDisabled, byPerson.GetProperty("type").GetString());
        Assert.Contains("Disabled by " + PortalFactory.AdminEmail, byPerson.GetProperty("reason").GetString());
        await ops.WaitForAsync(disabled.Count + 1, TimeSpan.FromSeconds(30));

        var ofIntegration = await ListAsync($"?integrationId={watched.IntegrationId}&type={PortalEventTypes.WebhookDisabled}");
        Assert.Equal(2, ofIntegration.GetArrayLength());
    }

    [Fact]
    public async Task Attempts_failing_at_the_same_time_raise_one_event()
    {
        // Seen in the health journey: three deliveries attempted at once all failed and each raised portal.webhook.failing.
        await using var slowFailing = await LoopbackReceiver.StartAsync();
        // 800 ms per answer (the read timeout here is 1 s): the four first attempts are in flight before the first failure is recorded.
        slowFailing.Default = new PlannedAnswer(500, TimeSpan.FromMilliseconds(800));
        var webhook = await portal.CreateWebhookAsync(slowFailing.Url());

        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => portal.PublishAsync(webhook.IntegrationId, $$"""{"n":{{i}}}""")));
        await Eventually.TrueAsync(() => slowFailing.Requests.Count >= 4, "four attempts", TimeSpan.FromSeconds(45));
        await Eventually.TrueAsync(async () => await portal.WithDbAsync(db => db.PortalEvents.CountAsync(e => e.WebhookId == webhook.Id)) >= 1, "the failing event", TimeSpan.FromSeconds(30));
        // The overlapping attempts commit within moments of their answers; a second event would be there by now.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.True(slowFailing.MaxConcurrent > 1, "the attempts overlapped");
        Assert.Single(await portal.WithDbAsync(db => db.PortalEvents.Where(e => e.WebhookId == webhook.Id).ToListAsync()));
    }

    [Fact]
    public async Task A_rest_hook_subscribed_to_a_portal_event_receives_it_signed_and_sees_it_listed()
    {
        await using var failing = await LoopbackReceiver.StartAsync();
        failing.Default = new PlannedAnswer(500);
        await using var zap = await LoopbackReceiver.StartAsync();
        var watched = await portal.CreateWebhookAsync(failing.Url());
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, "ops-zap", watched.IntegrationId));

        // A key of one integration needs no integrationId; the sample shows the payload's shape.
        var sample = await (await subscriber.GetAsync($"/api/hooks/perform-list?event={PortalEventTypes.WebhookFailing}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("failing", sample[0].GetProperty("health").GetProperty("state").GetString());
        var subscribed = await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = PortalEventTypes.WebhookFailing, target_url = zap.Url("/zap") })).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(PortalEventTypes.WebhookFailing, subscribed.GetProperty("event").GetString());
        var secret = subscribed.GetProperty("secret").GetString()!;
        var listed = await (await subscriber.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(PortalEventTypes.WebhookFailing, Assert.Single(listed.EnumerateArray()).GetProperty("event").GetString());

        await portal.PublishAsync(watched.IntegrationId);

        var request = Assert.Single(await zap.WaitForAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(PortalEventTypes.WebhookFailing, request.Headers["webhook-event-type"]);
        var timestamp = long.Parse(request.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(WebhookPortal.Features.Deliveries.Signer.Verify(secret, request.Headers["webhook-id"], timestamp, request.Body, request.Headers["webhook-signature"]));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(watched.Id, body.RootElement.GetProperty("webhook").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task A_portal_event_subscription_needs_a_known_type_and_an_integration_within_reach()
    {
        var mine = await portal.CreateIntegrationAsync("Org-" + Guid.NewGuid().ToString("N")[..8]);
        var other = await portal.CreateIntegrationAsync("Org-" + Guid.NewGuid().ToString("N")[..8]);
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, "scoped", mine));
        var before = await portal.WithDbAsync(db => db.Subscriptions.CountAsync());

        await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = "portal.webhook.exploded", target_url = "https://hooks.example.com/z" })).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = PortalEventTypes.WebhookDisabled, target_url = "https://hooks.example.com/z", integrationId = other })).AssertProblemAsync(HttpStatusCode.NotFound);
        // An admin key reaches every integration: it has to say which.
        var admin = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Admin));
        await (await admin.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = PortalEventTypes.WebhookDisabled, target_url = "https://hooks.example.com/z" })).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await admin.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = PortalEventTypes.WebhookDisabled, target_url = "https://hooks.example.com/z", integrationId = Guid.NewGuid() })).AssertProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(before, await portal.WithDbAsync(db => db.Subscriptions.CountAsync()));
        await (await admin.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = PortalEventTypes.WebhookDisabled, target_url = "https://hooks.example.com/z", integrationId = other })).ReadJsonAsync(HttpStatusCode.Created);

        // Deleting the integration removes its portal event subscriptions.
        (await portal.AsAdmin().DeleteAsync($"/api/integrations/{other}")).EnsureSuccessStatusCode();
        Assert.Equal(0, await portal.WithDbAsync(db => db.Subscriptions.CountAsync(s => s.IntegrationId == other)));
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=201", "limit")]
    [InlineData("?type=portal.webhook.exploded", "type")]
    public async Task Bad_filters_are_a_problem_naming_the_field(string query, string field)
    {
        var problem = await (await portal.AsAdmin().GetAsync("/api/portal-events" + query)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData(PortalRoles.Admin, HttpStatusCode.OK)]
    [InlineData(PortalRoles.Support, HttpStatusCode.OK)]
    [InlineData(PortalRoles.Subscriber, HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task Admin_and_support_read_portal_events_and_their_catalog_subscribers_and_strangers_do_not(string? role, HttpStatusCode expected)
    {
        var integrationId = await portal.CreateIntegrationAsync("Org-" + Guid.NewGuid().ToString("N")[..8]);
        var client = role is null ? portal.Anonymous()
            : role == PortalRoles.Subscriber ? portal.WithBearer(await portal.CreateApiKeyAsync(role, null, integrationId))
            : portal.WithBearer(await portal.CreateApiKeyAsync(role));

        Assert.Equal(expected, (await client.GetAsync("/api/portal-events")).StatusCode);
        var types = await client.GetAsync("/api/portal-events/types");
        Assert.Equal(expected, types.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal(PortalEventTypes.All, (await types.ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().Select(t => t.GetString()!).ToList());
        }
    }
}
