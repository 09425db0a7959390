using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Telemetry;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Infrastructure.Telemetry;

/// <summary>
/// ASP.NET Core's and HttpClient's meters are made per host (IMeterFactory) but share their names, and an SDK
/// aggregates same-named instruments of every host in the process into one stream: a host disposed while another
/// scrapes can take that stream with it. The scrape test runs alone, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ScrapeCollection
{
    public const string Name = "Metrics scrape";
}

/// <summary>
/// <c>/metrics</c> on the real portal (real time, a loopback receiver), with the default policy (Read). The portal's
/// instruments are process-wide, so other test hosts of the run add to the untagged series: those are asserted
/// as at least this test's share, the series tagged with this test's listener or rule exactly.
/// </summary>
[Collection(ScrapeCollection.Name)]
public sealed class MetricsEndpointTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private async Task<List<PrometheusSample>> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/metrics answered {(int)response.StatusCode}: {body}");
        return PrometheusText.Parse(body);
    }

    [Fact]
    public async Task After_a_listener_request_and_the_delivery_it_fires_the_portals_instruments_are_scraped_with_their_tags()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var webhookId = (await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "usage", postURL = receiver.Url() }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        // One request reaches 100 % of a target of 1: the rule fires once and its callback is delivered to the receiver.
        var ruleId = (await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/notification-rules",
                new { name = "quota", listenerId = listener.Id, target = 1, period = "Day", conditions = new[] { new { from = 100, to = 100, step = 10 } }, webhookIds = new[] { webhookId }, enabled = true }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1,"name":"a"}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, "{not json"))).AssertProblemAsync(HttpStatusCode.BadRequest);
        await portal.WaitForDeliveryAsync(webhookId, DeliveryState.Delivered);
        Assert.Single(receiver.Requests);

        var admin = portal.AsAdmin();
        var mine = listener.Id.ToString();
        var samples = await Eventually.ValueAsync(() => ScrapeAsync(admin),
            s => s.Any(x => x.Name == "webhookportal_deliveries_total" && x.Has("outcome", "delivered") && x.Has("target_kind", "webhook"))
                 && s.Any(x => x.Name == "webhookportal_inbound_requests_total" && x.Has("listener_id", mine) && x.Has("outcome", "error")),
            "the delivery and both listener requests in /metrics");

        // Inbound requests by listener, status code and outcome; their latency histogram with the same labels.
        var accepted = Assert.Single(samples, s => s.Name == "webhookportal_inbound_requests_total" && s.Has("listener_id", mine) && s.Has("http_response_status_code", "200"));
        Assert.Equal(1, accepted.Value);
        Assert.True(accepted.Has("outcome", "success") && accepted.Has("listener_name", listener.Name), string.Join(",", accepted.Labels));
        var refused = Assert.Single(samples, s => s.Name == "webhookportal_inbound_requests_total" && s.Has("listener_id", mine) && s.Has("http_response_status_code", "400"));
        Assert.Equal(1, refused.Value);
        Assert.True(refused.Has("outcome", "error"));
        Assert.Equal(1, Assert.Single(samples, s => s.Name == "webhookportal_inbound_duration_seconds_count" && s.Has("listener_id", mine) && s.Has("outcome", "success")).Value);
        Assert.Contains(samples, s => s.Name == "webhookportal_inbound_duration_seconds_bucket" && s.Has("listener_id", mine) && s.Has("le", "0.001"));

        // The notification rule fired once.
        var fired = Assert.Single(samples, s => s.Name == "webhookportal_notifications_fired_total" && s.Has("rule_id", ruleId.ToString()));
        Assert.Equal(1, fired.Value);
        Assert.True(fired.Has("threshold", "100"), string.Join(",", fired.Labels));

        // The writer committed batches (both requests, and their log entries); their sizes are in the size buckets.
        Assert.True(Count(samples, "webhookportal_writer_batch_size_count") >= 2);
        Assert.True(Count(samples, "webhookportal_writer_commit_duration_seconds_count") >= 2);
        Assert.Contains(samples, s => s.Name == "webhookportal_writer_batch_size_bucket" && s.Has("le", "256"));

        // The delivery, by outcome and target kind, and its latency.
        Assert.True(samples.Where(s => s.Name == "webhookportal_deliveries_total" && s.Has("outcome", "delivered") && s.Has("target_kind", "webhook")).Sum(s => s.Value) >= 1);
        Assert.True(samples.Where(s => s.Name == "webhookportal_delivery_duration_seconds_count" && s.Has("outcome", "delivered") && s.Has("target_kind", "webhook")).Sum(s => s.Value) >= 1);

        // The backlog gauges, and ASP.NET Core's and HttpClient's own instruments.
        Assert.Contains(samples, s => s.Name == "webhookportal_deliveries_due");
        Assert.Contains(samples, s => s.Name == "webhookportal_deliveries_oldest_due_age_seconds");
        Assert.Contains(samples, s => s.Name == "http_server_request_duration_seconds_count" && s.Has("http_route", "/hooks/{integrationId:guid}/{listenerId:guid}/") && s.Has("http_response_status_code", "200"));
        Assert.Contains(samples, s => s.Name == "http_client_request_duration_seconds_count" && s.Has("server_address", "127.0.0.1"));
    }

    [Fact]
    public async Task The_backlog_counts_due_pending_deliveries_and_the_age_of_the_oldest()
    {
        // A due delivery that no worker will take (its lease runs for a day), next to one that is not due yet.
        var now = DateTime.UtcNow;
        var messageId = Guid.NewGuid();
        await portal.WithDbAsync(async db =>
        {
            db.Messages.Add(new Message { Id = messageId, EventType = "backlog.test", Payload = "{}", CreatedUtc = now });
            db.Deliveries.Add(Pending(messageId, due: now - TimeSpan.FromMinutes(5), leaseUntil: now + TimeSpan.FromDays(1)));
            db.Deliveries.Add(Pending(messageId, due: now + TimeSpan.FromDays(1), leaseUntil: null));
            return await db.SaveChangesAsync();
        });

        var backlog = portal.Services.GetRequiredService<DeliveryBacklogMetrics>().Query();

        // This host's other deliveries are delivered or not due (the first test), so the count is exactly the one above.
        Assert.Equal(1, backlog.Due);
        Assert.True(backlog.OldestDueAge >= TimeSpan.FromMinutes(5), backlog.OldestDueAge.ToString());
        await portal.WithDbAsync(db => db.Messages.Where(m => m.Id == messageId).ExecuteDeleteAsync());
    }

    [Fact]
    public async Task Admin_and_Support_may_scrape_a_Subscriber_key_may_not_and_an_anonymous_caller_is_asked_to_authenticate()
    {
        Assert.Equal(HttpStatusCode.OK, (await portal.AsAdmin().GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await (await portal.AsSupportAsync()).GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Support)).GetAsync("/metrics")).StatusCode);
        await (await portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber)).GetAsync("/metrics")).AssertProblemAsync(HttpStatusCode.Forbidden);

        var anonymous = await portal.Anonymous().GetAsync("/metrics");
        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        await (await portal.WithBasic(PortalFactory.AdminEmail, "wrong-password").GetAsync("/metrics")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    private static double Count(List<PrometheusSample> samples, string name) => samples.Where(s => s.Name == name).Sum(s => s.Value);

    private static Delivery Pending(Guid messageId, DateTime due, DateTime? leaseUntil) => new()
    {
        Id = Guid.NewGuid(),
        MessageId = messageId,
        TargetKind = DeliveryTargetKind.Webhook,
        TargetId = Guid.NewGuid(),
        TargetName = "backlog",
        Url = "https://backlog.example.invalid/",
        State = DeliveryState.Pending,
        NextAttemptUtc = due,
        LeaseUntilUtc = leaseUntil,
        CreatedUtc = due,
        UpdatedUtc = due,
    };
}
