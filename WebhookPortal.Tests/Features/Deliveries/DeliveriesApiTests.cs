using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>GET /api/deliveries filtered by webhook, state and time range; each attempt of a delivery with the start of the receiver's answer.</summary>
public sealed class DeliveriesApiTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private async Task<(TestWebhook Webhook, Guid Failed)> OneFailedOneDeliveredAsync(LoopbackReceiver receiver)
    {
        // 400 fails at once under the seed schedule, with an answer worth reading.
        receiver.Answer(new PlannedAnswer(400, Body: "missing field 'total'"));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        await portal.PublishAsync(webhook.IntegrationId, """{"n":1}""");
        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Failed, TimeSpan.FromSeconds(30));
        var failed = await portal.WithDbAsync(db => db.Deliveries.Where(d => d.TargetId == webhook.Id).Select(d => d.Id).SingleAsync());
        await portal.PublishAsync(webhook.IntegrationId, """{"n":2}""");
        await Eventually.TrueAsync(async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Delivered)) == 1,
            "the second message delivered", TimeSpan.FromSeconds(45));
        return (webhook, failed);
    }

    private async Task<List<JsonElement>> ListAsync(string query) =>
        (await (await portal.AsAdmin().GetAsync("/api/deliveries" + query)).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().ToList();

    [Fact]
    public async Task Filters_by_webhook_state_and_time_range()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (webhook, failed) = await OneFailedOneDeliveredAsync(receiver);

        Assert.Equal(2, (await ListAsync($"?webhookId={webhook.Id}")).Count);
        var onlyFailed = Assert.Single(await ListAsync($"?webhookId={webhook.Id}&state=failed"));
        Assert.Equal(failed, onlyFailed.GetProperty("id").GetGuid());
        Assert.Single(await ListAsync($"?webhookId={webhook.Id}&state=delivered"));
        Assert.Empty(await ListAsync($"?webhookId={webhook.Id}&state=held"));

        var hourAgo = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        var inAnHour = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        Assert.Equal(2, (await ListAsync($"?webhookId={webhook.Id}&from={hourAgo}&to={inAnHour}")).Count);
        Assert.Empty(await ListAsync($"?webhookId={webhook.Id}&from={inAnHour}"));
        Assert.Empty(await ListAsync($"?webhookId={webhook.Id}&to={hourAgo}"));
    }

    [Fact]
    public async Task Each_attempt_carries_the_start_of_the_receivers_answer()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (_, failed) = await OneFailedOneDeliveredAsync(receiver);

        var detail = await (await portal.AsAdmin().GetAsync($"/api/deliveries/{failed}")).ReadJsonAsync(HttpStatusCode.OK);

        var attempt = Assert.Single(detail.GetProperty("attempts").EnumerateArray());
        Assert.Equal(400, attempt.GetProperty("status").GetInt32());
        Assert.Equal("missing field 'total'", attempt.GetProperty("responseExcerpt").GetString());
    }

    [Theory]
    [InlineData("?state=lost", "state")]
    [InlineData("?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "from")]
    public async Task A_bad_filter_is_a_problem_naming_the_field(string query, string field)
    {
        var problem = await (await portal.AsAdmin().GetAsync("/api/deliveries" + query)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData(PortalRoles.Admin, HttpStatusCode.OK)]
    [InlineData(PortalRoles.Support, HttpStatusCode.OK)]
    [InlineData(PortalRoles.Subscriber, HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task Staff_list_deliveries_with_filters_subscribers_and_strangers_do_not(string? role, HttpStatusCode expected)
    {
        var integrationId = await portal.CreateIntegrationAsync("Org-" + Guid.NewGuid().ToString("N")[..8]);
        var client = role is null ? portal.Anonymous()
            : role == PortalRoles.Subscriber ? portal.WithBearer(await portal.CreateApiKeyAsync(role, null, integrationId))
            : portal.WithBearer(await portal.CreateApiKeyAsync(role));

        Assert.Equal(expected, (await client.GetAsync("/api/deliveries?state=failed&from=2026-01-01T00:00:00Z")).StatusCode);
    }
}
