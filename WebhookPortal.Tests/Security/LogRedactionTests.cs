using System.Net;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: Support reads the request log. Credentials a System of Record sends to a listener and
/// credentials the portal sends to a receiver are masked before the entry is stored — the standard credential
/// headers, every name configured as secret on the listener or webhook, and token-like query parameters.
/// </summary>
public sealed class LogRedactionTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private async Task<(string Raw, System.Text.Json.JsonElement Detail)> LatestDetailAsync(Guid sourceId)
    {
        var support = await portal.AsSupportAsync();
        var item = (await (await support.GetAsync($"/api/logs?sourceId={sourceId}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("items")[0];
        var response = await support.GetAsync($"/api/logs/{item.GetProperty("id").GetInt64()}");
        var raw = await response.Content.ReadAsStringAsync();
        return (raw, await response.ReadJsonAsync(HttpStatusCode.OK));
    }

    private async Task<string> StoredRowAsync(Guid sourceId) =>
        await portal.WithDbAsync(async db => string.Join("\n", (await db.LogEntries.AsNoTracking().Where(e => e.SourceId == sourceId).ToListAsync())
            .Select(e => string.Join("|", e.Path, e.RequestHeaders, e.RequestBody, e.ResponseHeaders, e.ResponseBody, e.Error))));

    [Theory]
    [InlineData("X-My-Secret")]
    [InlineData("X-Partner-Check")] // no credential word in it: masked because the listener is configured with it
    public async Task An_inbound_request_is_stored_with_the_listeners_token_header_and_standard_credentials_masked(string tokenHeader)
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = tokenHeader });
        var credentials = new Dictionary<string, string>
        {
            [tokenHeader] = listener.Token!,
            ["Stripe-Signature"] = "t=1,v1=stripe-sig-value-1",
            ["X-Hub-Signature-256"] = "sha256=github-sig-value-2",
            ["Api-Key"] = "api-key-value-3",
            ["X-Webhook-Token"] = "webhook-token-value-4",
            ["Proxy-Authorization"] = "Basic proxy-value-5",
            ["webhook-signature"] = "v1,standard-sig-value-6",
        };
        var request = Json(HttpMethod.Post, listener.HookPath + "?access_token=query-token-7&API_KEY=query-key-8&sig=query-sig-9&keep=visible", """{"data":{"items":{"id":1}}}""");
        foreach (var (name, value) in credentials)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.Add("X-Trace", "trace-visible");
        await (await portal.Anonymous().SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);

        var (raw, detail) = await LatestDetailAsync(listener.Id);
        var headers = detail.GetProperty("requestHeaders");
        foreach (var name in credentials.Keys)
        {
            Assert.Equal("[redacted]", headers.GetProperty(name).GetString());
        }

        Assert.Equal("trace-visible", headers.GetProperty("X-Trace").GetString());
        var path = Uri.UnescapeDataString(detail.GetProperty("path").GetString()!);
        Assert.Equal(listener.HookPath + "?access_token=[redacted]&API_KEY=[redacted]&sig=[redacted]&keep=visible", path);

        var stored = await StoredRowAsync(listener.Id);
        foreach (var secret in credentials.Values.Append("query-token-7").Append("query-key-8").Append("query-sig-9"))
        {
            Assert.DoesNotContain(secret, raw);
            Assert.DoesNotContain(secret, stored);
        }
    }

    [Fact]
    public async Task A_listener_token_read_from_the_query_is_masked_when_sent_as_a_header_too()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Query", name = "partner" });
        var request = Json(HttpMethod.Post, listener.HookPath + "?PARTNER=" + listener.Token, """{"data":{"items":{"id":2}}}""");
        request.Headers.Add("Partner", listener.Token);
        await (await portal.Anonymous().SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);

        var (raw, detail) = await LatestDetailAsync(listener.Id);
        Assert.Equal("[redacted]", detail.GetProperty("requestHeaders").GetProperty("Partner").GetString());
        Assert.DoesNotContain(listener.Token!, raw);
        Assert.DoesNotContain(listener.Token!, await StoredRowAsync(listener.Id));
    }

    [Fact]
    public async Task An_outbound_attempt_is_stored_with_the_webhooks_custom_headers_and_query_tokens_masked()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var custom = new Dictionary<string, string>
        {
            ["X-Api-Key"] = "receiver-api-key-1",
            ["X-Partner-Check"] = "receiver-check-2", // masked because the webhook is configured with it
            ["X-Team"] = "ops-3",
        };
        var webhook = await portal.CreateWebhookAsync(receiver.Url("/hook?api_key=url-key-4&tenant=acme"), custom);

        await portal.PublishAsync(webhook.IntegrationId);
        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered);

        // The receiver got the real values: only the log is masked. (A slow first answer may have been retried.)
        var received = receiver.Requests[^1];
        Assert.Equal("receiver-api-key-1", received.Headers["X-Api-Key"]);
        Assert.Equal("receiver-check-2", received.Headers["X-Partner-Check"]);
        Assert.Contains("api_key=url-key-4", received.PathAndQuery);

        var (raw, detail) = await LatestDetailAsync(webhook.Id);
        var headers = detail.GetProperty("requestHeaders");
        foreach (var name in custom.Keys)
        {
            Assert.Equal("[redacted]", headers.GetProperty(name).GetString());
        }

        Assert.Equal("[redacted]", headers.GetProperty("webhook-signature").GetString());
        Assert.EndsWith("/hook?api_key=[redacted]&tenant=acme", Uri.UnescapeDataString(detail.GetProperty("path").GetString()!));
        var stored = await StoredRowAsync(webhook.Id);
        foreach (var secret in custom.Values.Append("url-key-4"))
        {
            Assert.DoesNotContain(secret, raw);
            Assert.DoesNotContain(secret, stored);
        }
    }
}
