using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// "Retry now" (POST /api/deliveries/{id}/retry): a pending delivery's next attempt becomes due at once; a finished one
/// answers 409 (redeliver it instead). Support may do it; Subscribers and strangers may not. The retry interval here is
/// ten minutes, so only the retry-now can explain a second attempt within the test.
/// </summary>
public sealed class DeliveryRetryNowTests : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));
    private DeliveryPortalFactory portal = null!;

    public Task InitializeAsync()
    {
        portal = new DeliveryPortalFactory(directory, TimeSpan.FromMinutes(10));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await portal.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>A webhook to the receiver and one published message whose first attempt got a 500: pending, next attempt in ten minutes.</summary>
    private async Task<(Guid IntegrationId, Delivery Delivery)> PendingAfterA500Async(LoopbackReceiver receiver)
    {
        receiver.Answer(new PlannedAnswer(500));
        receiver.Default = new PlannedAnswer(200);
        var org = "Org-" + Guid.NewGuid().ToString("N")[..8];
        var integrationId = await portal.CreateIntegrationAsync(org);
        var webhook = await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "hook-" + org, postURL = receiver.Url() })).ReadJsonAsync(HttpStatusCode.Created);
        var webhookId = webhook.GetProperty("id").GetGuid();
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/messages", new { eventType = "order.created", payload = new { n = 1 } })).ReadJsonAsync(HttpStatusCode.Accepted);
        var delivery = await Eventually.ValueAsync(
            () => portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.TargetId == webhookId)),
            d => d.AttemptCount == 1 && d.LeaseUntilUtc == null, "the first attempt, answered 500");
        Assert.Equal(DeliveryState.Pending, delivery.State);
        Assert.True(delivery.NextAttemptUtc > DateTime.UtcNow.AddMinutes(5), "the next attempt is ten minutes away");
        return (integrationId, delivery);
    }

    [Theory]
    [InlineData(PortalRoles.Admin)]
    [InlineData(PortalRoles.Support)]
    public async Task Staff_retry_a_pending_delivery_now_and_it_is_attempted_at_once(string role)
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (_, pending) = await PendingAfterA500Async(receiver);
        var client = role == PortalRoles.Admin ? portal.AsAdmin() : await portal.AsSupportAsync();

        var answer = await (await client.PostAsync($"/api/deliveries/{pending.Id}/retry", null)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(pending.Id, answer.GetProperty("id").GetGuid());
        var delivered = await Eventually.ValueAsync(
            () => portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == pending.Id)),
            d => d.State == DeliveryState.Delivered, "the retried attempt delivered");
        Assert.Equal(2, delivered.AttemptCount);
        var requests = await receiver.WaitForAsync(2);
        Assert.Equal(requests[0].Headers["webhook-id"], requests[1].Headers["webhook-id"]);
    }

    [Fact]
    public async Task A_finished_delivery_answers_409_and_points_to_redeliver_and_nothing_changes()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (_, pending) = await PendingAfterA500Async(receiver);
        await (await portal.AsAdmin().PostAsync($"/api/deliveries/{pending.Id}/retry", null)).ReadJsonAsync(HttpStatusCode.Accepted);
        var delivered = await Eventually.ValueAsync(
            () => portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == pending.Id)),
            d => d.State == DeliveryState.Delivered, "delivered");

        var problem = await (await portal.AsAdmin().PostAsync($"/api/deliveries/{pending.Id}/retry", null)).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Contains("redeliver", problem.GetProperty("detail").GetString());
        var after = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == pending.Id));
        Assert.Equal(delivered.UpdatedUtc, after.UpdatedUtc);
        Assert.Equal(2, after.AttemptCount);
    }

    [Fact]
    public async Task An_unknown_delivery_is_404_and_a_malformed_id_is_not_routed()
    {
        await (await (await portal.AsSupportAsync()).PostAsync($"/api/deliveries/{Guid.NewGuid()}/retry", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await portal.AsAdmin().PostAsync("/api/deliveries/not-a-guid/retry", null)).StatusCode);
    }

    [Fact]
    public async Task Subscribers_and_strangers_may_not_retry_and_the_delivery_stays_scheduled()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var (integrationId, pending) = await PendingAfterA500Async(receiver);
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, "zapier", integrationId));

        Assert.Equal(HttpStatusCode.Forbidden, (await subscriber.PostAsync($"/api/deliveries/{pending.Id}/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await portal.Anonymous().PostAsync($"/api/deliveries/{pending.Id}/retry", null)).StatusCode);

        var after = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == pending.Id));
        Assert.Equal(pending.NextAttemptUtc, after.NextAttemptUtc);
        Assert.Equal(1, after.AttemptCount);
        Assert.Single(receiver.Requests);
    }
}
