using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Notifications;

/// <summary>A threshold's callback leaves the outbox for real: signed, retried and logged by the delivery engine.</summary>
public sealed class NotificationCallbackTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    [Fact]
    public async Task A_reached_threshold_calls_the_rules_webhook_signed_retried_and_logged()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(503), new PlannedAnswer(200));
        var listener = await portal.CreateListenerAsync();
        var admin = portal.AsAdmin();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var webhook = await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "quota-hook", postURL = receiver.Url("/quota") })).ReadJsonAsync(HttpStatusCode.Created);
        var webhookId = webhook.GetProperty("id").GetGuid();
        var secret = (await (await admin.GetAsync($"/api/webhooks/{webhookId}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        // Scoped to the whole integration (no listener): every listener of it counts.
        var rule = await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/notification-rules", new
        {
            name = "half", listenerId = (Guid?)null, target = 2, period = "Month", conditions = new[] { new { from = 50 } }, webhookIds = new[] { webhookId }, enabled = true,
        })).ReadJsonAsync(HttpStatusCode.Created);

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1}}}"""))).ReadJsonAsync(HttpStatusCode.OK);

        var requests = await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));
        Assert.Equal(2, requests.Count);
        Assert.Equal(requests[0].Headers["webhook-id"], requests[1].Headers["webhook-id"]);
        var delivered = requests[1];
        Assert.Equal("/quota", delivered.PathAndQuery);
        var timestamp = long.Parse(delivered.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Signer.Verify(secret, delivered.Headers["webhook-id"], timestamp, delivered.Body, delivered.Headers["webhook-signature"]));
        var body = JsonDocument.Parse(delivered.Body).RootElement;
        Assert.Equal(org, body.GetProperty("orgName").GetString());
        Assert.Equal(50, body.GetProperty("quotaPercentUsed").GetDecimal());
        Assert.Equal(rule.GetProperty("id").GetGuid(), body.GetProperty("ruleId").GetGuid());

        // The receiver has answered; the portal records the attempt just after.
        var attempts = await Eventually.ValueAsync(
            async () => (await portal.LogsAsync($"direction=outbound&name=quota-hook&pageSize=10")).GetProperty("items").EnumerateArray()
                .Select(e => (e.GetProperty("status").GetInt32(), e.GetProperty("state").GetString())).OrderBy(a => a.Item1).ToArray(),
            a => a.Length == 2,
            "both attempts logged");
        Assert.Equal([(200, "success"), (503, "error")], attempts);
    }
}
