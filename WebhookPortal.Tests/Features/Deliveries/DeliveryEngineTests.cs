using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

public sealed class DeliveryEngineTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private async Task<(string Org, Guid WebhookId, string Secret)> CreateWebhookAsync(string url, object? extra = null)
    {
        var org = "Org-" + Guid.NewGuid().ToString("N")[..8];
        await portal.CreateIntegrationAsync(org);
        var body = new Dictionary<string, object?> { ["name"] = "hook-" + org, ["postURL"] = url };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                body[property.Name] = property.Value;
            }
        }

        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", body)).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        var secret = (await (await portal.AsAdmin().GetAsync($"/api/webhooks/{id}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        return (org, id, secret);
    }

    private async Task<Guid> PublishAsync(string org, string payload, string eventType = "usage.threshold")
    {
        var integrationId = (await (await portal.AsAdmin().GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK))
            .EnumerateArray().Single(i => i.GetProperty("name").GetString() == org).GetProperty("id").GetGuid();
        var response = await portal.AsAdmin().PostAsync($"/api/integrations/{integrationId}/messages",
            new StringContent($$"""{"eventType":"{{eventType}}","payload":{{payload}}}""", System.Text.Encoding.UTF8, "application/json"));
        return (await response.ReadJsonAsync(HttpStatusCode.Accepted)).GetProperty("id").GetGuid();
    }

    private async Task<Delivery> WaitForStateAsync(Guid webhookId, DeliveryState state, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var delivery = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == webhookId).OrderByDescending(d => d.CreatedUtc).FirstOrDefaultAsync());
            if (delivery?.State == state)
            {
                return delivery;
            }

            if (DateTime.UtcNow > deadline)
            {
                // Everything the row tells about where it stopped: a late retry and a lost one read differently.
                throw new TimeoutException($"Delivery for {webhookId} is '{delivery?.State}', expected '{state}' (now {DateTime.UtcNow:HH:mm:ss.fff}; "
                    + $"attempts {delivery?.AttemptCount}, next {delivery?.NextAttemptUtc:HH:mm:ss.fff}, lease {delivery?.LeaseUntilUtc:HH:mm:ss.fff}, "
                    + $"updated {delivery?.UpdatedUtc:HH:mm:ss.fff}, last {delivery?.LastStatus} {delivery?.LastError}).");
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_200_delivers_once_signed_with_standard_webhooks_headers_and_the_payload_verbatim()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (org, webhookId, secret) = await CreateWebhookAsync(receiver.Url(), new { headers = new Dictionary<string, string> { ["X-Tenant"] = "acme" } });
        const string payload = """{"orgName":"acme","quotaPercentUsed":80,  "nested":{"a":[1,2]}}""";

        await PublishAsync(org, payload);

        var delivery = await WaitForStateAsync(webhookId, DeliveryState.Delivered);
        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("POST", request.Method);
        Assert.Equal(payload, request.Body);
        Assert.Equal("acme", request.Headers["X-Tenant"]);
        Assert.StartsWith("WebhookPortal/", request.Headers["User-Agent"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        var id = request.Headers["webhook-id"];
        var timestamp = long.Parse(request.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp) < 60);
        Assert.True(Signer.Verify(secret, id, timestamp, request.Body, request.Headers["webhook-signature"]));
        Assert.False(Signer.Verify(Signer.NewSecret(), id, timestamp, request.Body, request.Headers["webhook-signature"]));
        Assert.Equal(1, delivery.AttemptCount);

        // The attempt is in the log as outbound, with the signature redacted.
        var logs = await portal.LogsAsync($"direction=outbound&sourceId={webhookId}");
        var entry = Assert.Single(logs.GetProperty("items").EnumerateArray());
        Assert.Equal("success", entry.GetProperty("state").GetString());
        Assert.Equal("hook-" + org, entry.GetProperty("name").GetString());
        var detail = await (await portal.AsAdmin().GetAsync($"/api/logs/{entry.GetProperty("id").GetInt64()}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(request.Headers["webhook-signature"], detail);
    }

    [Fact]
    public async Task A_500_500_200_receiver_gets_three_attempts_with_one_webhook_id_a_retry_interval_apart()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500), new PlannedAnswer(500), new PlannedAnswer(200));
        var (org, webhookId, _) = await CreateWebhookAsync(receiver.Url());

        await PublishAsync(org, """{"n":1}""");

        var delivery = await WaitForStateAsync(webhookId, DeliveryState.Delivered);
        var requests = await receiver.WaitForAsync(3);
        Assert.Equal(3, requests.Count);
        Assert.Equal(3, delivery.AttemptCount);
        Assert.Single(requests.Select(r => r.Headers["webhook-id"]).Distinct());
        for (var i = 1; i < requests.Count; i++)
        {
            // One retry interval (1 s here) apart: never early, and late by no more than Hangfire's 1 s schedule poll and some load.
            var gap = requests[i].Time - requests[i - 1].Time;
            Assert.True(gap >= TimeSpan.FromMilliseconds(900) && gap <= TimeSpan.FromSeconds(4), $"attempt {i + 1} came {gap.TotalMilliseconds} ms after the previous one");
        }

        var states = (await portal.LogsAsync($"direction=outbound&sourceId={webhookId}")).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("state").GetString()).ToList();
        Assert.Equal(["success", "error", "error"], states);
    }

    [Fact]
    public async Task An_always_failing_receiver_gets_exactly_one_plus_max_retries_attempts_then_fails()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Default = new PlannedAnswer(503);
        var (org, webhookId, _) = await CreateWebhookAsync(receiver.Url());

        await PublishAsync(org, """{"n":2}""");

        // Failed is final: a stray scheduled attempt cannot claim a delivery that is not pending.
        var delivery = await WaitForStateAsync(webhookId, DeliveryState.Failed, TimeSpan.FromSeconds(30));
        Assert.Equal(4, receiver.Requests.Count);
        Assert.Equal(4, delivery.AttemptCount);
        Assert.Equal(503, delivery.LastStatus);
    }

    [Fact]
    public async Task A_404_is_failed_at_once_without_retry()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Default = new PlannedAnswer(404);
        var (org, webhookId, _) = await CreateWebhookAsync(receiver.Url());

        await PublishAsync(org, """{"n":3}""");

        var failed = await WaitForStateAsync(webhookId, DeliveryState.Failed);
        Assert.Equal(1, failed.AttemptCount);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task A_receiver_slower_than_the_read_timeout_is_retried()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(200, TimeSpan.FromSeconds(4)), new PlannedAnswer(200));
        var (org, webhookId, _) = await CreateWebhookAsync(receiver.Url());

        await PublishAsync(org, """{"n":4}""");

        var delivery = await WaitForStateAsync(webhookId, DeliveryState.Delivered, TimeSpan.FromSeconds(30));
        Assert.Equal(2, delivery.AttemptCount);
        var errors = (await portal.LogsAsync($"direction=outbound&sourceId={webhookId}&state=error")).GetProperty("items");
        Assert.Contains("Timed out", Assert.Single(errors.EnumerateArray()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_read_timeout_counts_from_the_connection_not_from_the_start_of_the_attempt()
    {
        // Connect 1 s + read 1 s: an answer 1.5 s after a prompt connection is over the read timeout.
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(200, TimeSpan.FromSeconds(1.5)), new PlannedAnswer(200));
        var (org, webhookId, _) = await CreateWebhookAsync(receiver.Url());

        await PublishAsync(org, """{"n":41}""");

        var delivery = await WaitForStateAsync(webhookId, DeliveryState.Delivered, TimeSpan.FromSeconds(30));
        Assert.Equal(2, delivery.AttemptCount);
        var errors = (await portal.LogsAsync($"direction=outbound&sourceId={webhookId}&state=error")).GetProperty("items");
        Assert.Equal("Timed out: no answer within the read timeout of 1 s.", Assert.Single(errors.EnumerateArray()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_refused_connection_is_retried_then_failed()
    {
        int closedPort;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var (org, webhookId, _) = await CreateWebhookAsync($"http://127.0.0.1:{closedPort}/hook");

        await PublishAsync(org, """{"n":5}""");

        var delivery = await WaitForStateAsync(webhookId, DeliveryState.Failed, TimeSpan.FromSeconds(30));
        Assert.Equal(4, delivery.AttemptCount);
        Assert.Contains("Connection failed", delivery.LastError);
    }

    [Fact]
    public async Task A_disabled_webhook_gets_no_delivery_and_disabling_between_attempts_stops_them()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (org, webhookId, _) = await CreateWebhookAsync(receiver.Url());
        await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks/{webhookId}", new { enabled = "false" })).ReadJsonAsync(HttpStatusCode.OK);

        // Publishing stores every delivery before it answers: none for a disabled webhook means none will be sent.
        await PublishAsync(org, """{"n":6}""");
        Assert.Empty(receiver.Requests);
        Assert.Equal(0, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhookId)));

        await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks/{webhookId}", new { enabled = true })).ReadJsonAsync(HttpStatusCode.OK);
        receiver.Default = new PlannedAnswer(500);
        await PublishAsync(org, """{"n":7}""");
        await receiver.WaitForAsync(1);
        await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks/{webhookId}", new { enabled = "false" })).ReadJsonAsync(HttpStatusCode.OK);

        // Held, not sent and not lost: enabling the webhook again sends it.
        await WaitForStateAsync(webhookId, DeliveryState.Held);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task A_host_resolving_to_loopback_is_never_called_without_the_allow_list()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var port = new Uri(receiver.BaseUrl).Port;
        var (org, webhookId, _) = await CreateWebhookAsync($"http://localhost:{port}/hook");

        await PublishAsync(org, """{"n":8}""");

        var delivery = await WaitForStateAsync(webhookId, DeliveryState.Failed);
        Assert.Equal(1, delivery.AttemptCount);
        Assert.Contains("URL guard", delivery.LastError);
        Assert.Contains("loopback", delivery.LastError);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task Redeliver_sends_a_failed_message_again_as_a_new_delivery()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(400));
        var (org, webhookId, _) = await CreateWebhookAsync(receiver.Url());
        await PublishAsync(org, """{"n":9}""");
        var failed = await WaitForStateAsync(webhookId, DeliveryState.Failed);

        var response = await portal.AsAdmin().PostAsync($"/api/deliveries/{failed.Id}/redeliver", null);

        var copy = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.NotEqual(failed.Id, copy.GetProperty("id").GetGuid());
        await WaitForStateAsync(webhookId, DeliveryState.Delivered);
        var requests = await receiver.WaitForAsync(2);
        Assert.Equal(requests[0].Body, requests[1].Body);
        // The same message, so the same webhook-id: receivers de-duplicate redeliveries.
        Assert.Equal(requests[0].Headers["webhook-id"], requests[1].Headers["webhook-id"]);
        var detail = await (await portal.AsAdmin().GetAsync($"/api/deliveries/{failed.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, detail.GetProperty("attempts").GetArrayLength());
        Assert.Equal(400, detail.GetProperty("attempts")[0].GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Only_webhooks_whose_event_filter_matches_get_the_message()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (org, filteredId, _) = await CreateWebhookAsync(receiver.Url("/filtered"), new { eventTypes = new[] { "order.created" } });
        var integrationId = (await (await portal.AsAdmin().GetAsync($"/v1/mint/organizations/{org}/webhooks/{filteredId}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("integrationId").GetGuid();
        await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "all", postUrl = receiver.Url("/all") })).ReadJsonAsync(HttpStatusCode.Created);

        await PublishAsync(org, """{"kind":"other"}""", "order.deleted");
        await PublishAsync(org, """{"kind":"created"}""", "order.created");

        var requests = await receiver.WaitForAsync(3);
        // Publishing stored one delivery per matching webhook before it answered: three in all, so no fourth request.
        Assert.Equal(3, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.Message!.IntegrationId == integrationId)));
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Equal(["/all", "/all", "/filtered"], receiver.Requests.Select(r => r.PathAndQuery).Order().ToArray());
        Assert.Equal("""{"kind":"created"}""", receiver.Requests.Single(r => r.PathAndQuery == "/filtered").Body);
        Assert.NotEqual(Guid.Empty, integrationId);
    }

    [Fact]
    public async Task Each_attempt_is_logged_with_its_event_type_and_the_log_search_finds_it()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (org, webhookId, _) = await CreateWebhookAsync(receiver.Url());
        var eventType = "order.cancelled." + Guid.NewGuid().ToString("N")[..6];
        await PublishAsync(org, """{"n":11}""", eventType);
        await WaitForStateAsync(webhookId, DeliveryState.Delivered);

        var page = await (await portal.AsAdmin().GetAsync($"/api/logs?q={eventType}")).ReadJsonAsync(HttpStatusCode.OK);

        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(eventType, item.GetProperty("eventType").GetString());
        Assert.Equal("outbound", item.GetProperty("direction").GetString());
    }
}
