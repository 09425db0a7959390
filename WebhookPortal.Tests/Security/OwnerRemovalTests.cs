using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: an Admin revoking a key, deleting a user, an event type or a rule. What the key or user
/// subscribed to, and what the event type or rule left behind, goes with it (seen: a revoked Subscriber key's
/// subscriptions kept delivering data to the key holder's URL).
/// </summary>
public sealed class OwnerRemovalTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed record Subscribed(TestListener Listener, string EventName, Guid EventTypeId, Guid SubscriptionId, Guid PendingDeliveryId);

    /// <summary>An event type on a listener, a subscription made by <paramref name="client"/> and one pending delivery to it.</summary>
    private async Task<Subscribed> SubscribeAsync(Func<TestListener, Task<HttpClient>> client)
    {
        var listener = await portal.CreateListenerAsync();
        var name = "Ev" + Guid.NewGuid().ToString("N")[..8];
        var eventTypeId = (await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types", new { name, listenerId = listener.Id, actions = new[] { "insert" } }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var subscriber = await client(listener);
        var subscriptionId = (await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = "https://zap.example.invalid/hook" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        // Due in a day: nothing sends it while the test runs.
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var deliveryId = Guid.NewGuid();
        await portal.WithDbAsync(db =>
        {
            var message = new Message { Id = Guid.NewGuid(), IntegrationId = listener.IntegrationId, EventType = name, Payload = "{}", CreatedUtc = now };
            db.Messages.Add(message);
            db.Deliveries.Add(new Delivery
            {
                Id = deliveryId, MessageId = message.Id, TargetKind = DeliveryTargetKind.Subscription, TargetId = subscriptionId, TargetName = name,
                Url = "https://zap.example.invalid/hook", NextAttemptUtc = now.AddDays(1), CreatedUtc = now, UpdatedUtc = now,
            });
            return db.SaveChangesAsync();
        });
        return new Subscribed(listener, name, eventTypeId, subscriptionId, deliveryId);
    }

    private Task<(int Subscriptions, DeliveryState State)> StateAsync(Subscribed s) => portal.WithDbAsync(async db => (
        await db.Subscriptions.CountAsync(x => x.Id == s.SubscriptionId),
        (await db.Deliveries.SingleAsync(d => d.Id == s.PendingDeliveryId)).State));

    private Task<int> DeliveriesToAsync(Guid subscriptionId) => portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == subscriptionId));

    [Fact]
    public async Task Revoking_a_subscriber_key_removes_its_subscriptions_and_cancels_what_was_pending_for_them()
    {
        Guid keyId = default;
        var subscribed = await SubscribeAsync(async listener =>
        {
            var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "leaked", role = "Subscriber", integrationIds = new[] { listener.IntegrationId } }))
                .ReadJsonAsync(HttpStatusCode.Created);
            keyId = created.GetProperty("id").GetGuid();
            return portal.WithBearer(created.GetProperty("key").GetString()!);
        });
        Assert.Equal((1, DeliveryState.Pending), await StateAsync(subscribed));

        await (await portal.AsAdmin().DeleteAsync($"/api/api-keys/{keyId}")).ReadJsonAsync(HttpStatusCode.NoContent);

        Assert.Equal((0, DeliveryState.Cancelled), await StateAsync(subscribed));
        Assert.Equal(0, await portal.WithDbAsync(db => db.ApiKeyIntegrations.CountAsync(s => s.ApiKeyId == keyId)));

        // A new record fires the event: nothing is addressed to the revoked key's target any more.
        var before = await DeliveriesToAsync(subscribed.SubscriptionId);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, subscribed.Listener.HookPath, """{"data":{"items":[{"id":77}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(before, await DeliveriesToAsync(subscribed.SubscriptionId));
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_404_and_removes_no_one_elses_subscription()
    {
        var subscribed = await SubscribeAsync(async listener => portal.WithBearer(await portal.CreateApiKeyAsync("Subscriber", null, listener.IntegrationId)));

        await (await portal.AsAdmin().DeleteAsync($"/api/api-keys/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal((1, DeliveryState.Pending), await StateAsync(subscribed));
    }

    [Fact]
    public async Task Deleting_a_user_removes_the_users_subscriptions_and_cancels_what_was_pending_for_them()
    {
        var email = "leaver-" + Guid.NewGuid().ToString("N")[..6] + "@test.local";
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/users", new { email, password = "Leaver-Pass-1", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created);
        var subscribed = await SubscribeAsync(_ => Task.FromResult(portal.WithBasic(email, "Leaver-Pass-1")));

        await (await portal.AsAdmin().DeleteAsync($"/api/users/{created.GetProperty("id").GetString()}")).ReadJsonAsync(HttpStatusCode.NoContent);

        Assert.Equal((0, DeliveryState.Cancelled), await StateAsync(subscribed));
    }

    [Fact]
    public async Task Deleting_an_event_type_cancels_its_subscriptions_pending_deliveries_and_drops_its_staged_events()
    {
        var subscribed = await SubscribeAsync(_ => Task.FromResult(portal.AsAdmin()));
        await portal.WithDbAsync(db =>
        {
            db.PendingEvents.Add(new PendingEvent { Id = Guid.NewGuid(), IntegrationId = subscribed.Listener.IntegrationId, EventTypeId = subscribed.EventTypeId, Action = "insert", RecordJson = "{}", CreatedUtc = portal.Clock.GetUtcNow().UtcDateTime });
            return db.SaveChangesAsync();
        });

        await (await portal.AsAdmin().DeleteAsync($"/api/event-types/{subscribed.EventTypeId}")).ReadJsonAsync(HttpStatusCode.NoContent);

        Assert.Equal((0, DeliveryState.Cancelled), await StateAsync(subscribed));
        Assert.Equal(0, await portal.WithDbAsync(db => db.PendingEvents.CountAsync(p => p.EventTypeId == subscribed.EventTypeId)));
    }

    [Fact]
    public async Task Deleting_a_rule_removes_its_usage_and_firings()
    {
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var webhookId = (await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "quota-hook", postURL = "https://crm.example.invalid/in" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var ruleId = (await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/notification-rules",
                new { name = "quota", listenerId = listener.Id, target = 10, period = "Day", conditions = new[] { new { usageTarget = "%= 80" } }, webhookIds = new[] { webhookId }, enabled = true }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        await portal.WithDbAsync(db =>
        {
            db.RuleUsage.Add(new RuleUsage { RuleId = ruleId, PeriodStart = now.Date, Count = 9 });
            db.RuleFirings.Add(new RuleFiring { RuleId = ruleId, PeriodStart = now.Date, Threshold = 80, Count = 8, FiredUtc = now, MessageId = Guid.NewGuid() });
            return db.SaveChangesAsync();
        });

        await (await portal.AsAdmin().DeleteAsync($"/api/integrations/{listener.IntegrationId}/notification-rules/{ruleId}")).ReadJsonAsync(HttpStatusCode.NoContent);

        Assert.Equal((0, 0, 0), await portal.WithDbAsync(async db => (
            await db.NotificationRules.CountAsync(r => r.Id == ruleId), await db.RuleUsage.CountAsync(u => u.RuleId == ruleId), await db.RuleFirings.CountAsync(f => f.RuleId == ruleId))));
    }

    [Fact]
    public async Task Deleting_an_integration_removes_the_key_scopes_that_named_it()
    {
        var listener = await portal.CreateListenerAsync();
        await portal.CreateApiKeyAsync("Subscriber", null, listener.IntegrationId);
        Assert.Equal(1, await portal.WithDbAsync(db => db.ApiKeyIntegrations.CountAsync(s => s.IntegrationId == listener.IntegrationId)));

        await (await portal.AsAdmin().DeleteAsync($"/api/integrations/{listener.IntegrationId}")).ReadJsonAsync(HttpStatusCode.NoContent);

        Assert.Equal(0, await portal.WithDbAsync(db => db.ApiKeyIntegrations.CountAsync(s => s.IntegrationId == listener.IntegrationId)));
    }
}
