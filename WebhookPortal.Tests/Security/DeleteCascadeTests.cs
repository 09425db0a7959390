using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: an Admin deleting an integration or a listener. What belonged to it goes in one
/// transaction, and its listener URL stops storing at once (seen: 200 "inserted: 1" for 30 s after the
/// delete, and the generated table left behind with its rows).
/// </summary>
public sealed class DeleteCascadeTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed record Owned(TestListener Listener, Guid WebhookId, Guid EventTypeId, Guid SubscriptionId, Guid RuleId);

    /// <summary>A listener with a stored record (so the receiver has it cached), a webhook, an event type with a subscription and a staged change, a rule that fired, a Subscriber key scoped to the integration and two pending deliveries.</summary>
    private async Task<Owned> SeedAsync()
    {
        var listener = await portal.CreateListenerAsync();
        await (await PostRecordAsync(listener, 1)).ReadJsonAsync(HttpStatusCode.OK);
        var admin = portal.AsAdmin();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var webhookId = (await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "crm", postURL = "https://crm.example.invalid/in" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var eventTypeId = (await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types", new { name = "Ev" + Guid.NewGuid().ToString("N")[..6], listenerId = listener.Id, actions = new[] { "insert" } }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var ruleId = (await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/notification-rules",
                new { name = "quota", listenerId = listener.Id, target = 10, period = "Day", conditions = new[] { new { usageTarget = "%= 80" } }, webhookIds = new[] { webhookId }, enabled = true }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await portal.CreateApiKeyAsync("Subscriber", null, listener.IntegrationId);
        var subscriptionId = Guid.NewGuid();
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        await portal.WithDbAsync(db =>
        {
            db.Subscriptions.Add(new Subscription { Id = subscriptionId, EventTypeId = eventTypeId, TargetUrl = "https://zap.example.invalid/hook", ProtectedSecret = "x", OwnerId = "someone", CreatedUtc = now });

            // A change staged for the event type's script, not yet turned into a message.
            db.PendingEvents.Add(new PendingEvent { Id = Guid.NewGuid(), IntegrationId = listener.IntegrationId, EventTypeId = eventTypeId, Action = "insert", RecordJson = "{}", CreatedUtc = now });

            // The rule has counted and fired.
            db.RuleUsage.Add(new RuleUsage { RuleId = ruleId, PeriodStart = now.Date, Count = 9 });
            db.RuleFirings.Add(new RuleFiring { RuleId = ruleId, PeriodStart = now.Date, Threshold = 80, Count = 8, FiredUtc = now, MessageId = Guid.NewGuid() });

            // Due in a day: nothing sends them while the test runs.
            var message = new Message { Id = Guid.NewGuid(), IntegrationId = listener.IntegrationId, EventType = "test", Payload = "{}", CreatedUtc = now };
            db.Messages.Add(message);
            db.Deliveries.Add(Pending(message.Id, DeliveryTargetKind.Webhook, webhookId, now));
            db.Deliveries.Add(Pending(message.Id, DeliveryTargetKind.Subscription, subscriptionId, now));
            return db.SaveChangesAsync();
        });
        return new Owned(listener, webhookId, eventTypeId, subscriptionId, ruleId);
    }

    private static Delivery Pending(Guid messageId, DeliveryTargetKind kind, Guid target, DateTime now) => new()
    {
        Id = Guid.NewGuid(), MessageId = messageId, TargetKind = kind, TargetId = target, TargetName = kind.ToString(), Url = "https://example.invalid/",
        NextAttemptUtc = now.AddDays(1), CreatedUtc = now, UpdatedUtc = now,
    };

    private Task<HttpResponseMessage> PostRecordAsync(TestListener listener, int id) =>
        portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, $"{{\"data\":{{\"items\":{{\"id\":{id},\"name\":\"n{id}\"}}}}}}"));

    private async Task<List<string>> TablesOfAsync(Guid listenerId)
    {
        var prefix = SqlDialect.PhysicalName(listenerId, "");
        return (await portal.WithDbAsync(PhysicalTables.NamesAsync)).Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    private Task<int> LogCountAsync(Guid listenerId) => portal.WithDbAsync(db => db.LogEntries.CountAsync(e => e.SourceId == listenerId));

    private Task<(int Listeners, int Webhooks, int EventTypes, int Subscriptions, int Rules, int Pending, int Cancelled)> RemainingAsync(Owned owned) =>
        portal.WithDbAsync(async db =>
        {
            var targets = new[] { owned.WebhookId, owned.SubscriptionId };
            return (
                await db.Listeners.CountAsync(l => l.Id == owned.Listener.Id),
                await db.Webhooks.CountAsync(w => w.Id == owned.WebhookId),
                await db.EventTypes.CountAsync(e => e.Id == owned.EventTypeId),
                await db.Subscriptions.CountAsync(s => s.Id == owned.SubscriptionId),
                await db.NotificationRules.CountAsync(r => r.Id == owned.RuleId),
                await db.Deliveries.CountAsync(d => targets.Contains(d.TargetId) && d.State == DeliveryState.Pending),
                await db.Deliveries.CountAsync(d => targets.Contains(d.TargetId) && d.State == DeliveryState.Cancelled));
        });

    /// <summary>What hangs on the owned rows without being one of them: staged changes, rule usage and firings, Subscriber-key scopes.</summary>
    private Task<(int PendingEvents, int RuleUsage, int RuleFirings, int KeyScopes)> LeftoversAsync(Owned owned) =>
        portal.WithDbAsync(async db => (
            await db.PendingEvents.CountAsync(p => p.EventTypeId == owned.EventTypeId),
            await db.RuleUsage.CountAsync(u => u.RuleId == owned.RuleId),
            await db.RuleFirings.CountAsync(f => f.RuleId == owned.RuleId),
            await db.ApiKeyIntegrations.CountAsync(k => k.IntegrationId == owned.Listener.IntegrationId)));

    [Fact]
    public async Task Deleting_an_integration_removes_all_it_owns_and_its_listener_URL_answers_404_at_once()
    {
        var owned = await SeedAsync();
        var bystander = await portal.CreateListenerAsync();
        await (await PostRecordAsync(bystander, 7)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.NotEmpty(await TablesOfAsync(owned.Listener.Id));

        var impact = await (await portal.AsAdmin().GetAsync($"/api/integrations/{owned.Listener.IntegrationId}/deletion-impact")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, impact.GetProperty("listeners").GetInt32());
        Assert.Equal(1, impact.GetProperty("records").GetInt64());
        Assert.Equal(1, impact.GetProperty("webhooks").GetInt32());
        Assert.Equal(1, impact.GetProperty("rules").GetInt32());
        Assert.Equal(1, impact.GetProperty("eventTypes").GetInt32());
        Assert.Equal(1, impact.GetProperty("subscriptions").GetInt32());
        Assert.Equal(2, impact.GetProperty("pendingDeliveries").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"/api/integrations/{owned.Listener.IntegrationId}")).StatusCode);

        // At once: no cache grace period, nothing stored, and (an unknown URL) nothing logged either.
        var logsBefore = await LogCountAsync(owned.Listener.Id);
        await (await PostRecordAsync(owned.Listener, 2)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(logsBefore, await LogCountAsync(owned.Listener.Id));
        Assert.Empty(await TablesOfAsync(owned.Listener.Id));
        Assert.Equal((0, 0, 0, 0, 0, 0, 2), await RemainingAsync(owned));
        Assert.Equal((0, 0, 0, 0), await LeftoversAsync(owned));
        Assert.Equal(0, await portal.WithDbAsync(db => db.Integrations.CountAsync(i => i.Id == owned.Listener.IntegrationId)));

        // Another integration's listener is untouched.
        await (await PostRecordAsync(bystander, 8)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, await portal.RecordCountAsync(bystander.Id));
    }

    [Fact]
    public async Task Deleting_a_listener_removes_its_tables_event_types_subscriptions_and_rules_and_its_URL_answers_404_at_once()
    {
        var owned = await SeedAsync();

        var impact = await (await portal.AsAdmin().GetAsync($"/api/listeners/{owned.Listener.Id}/deletion-impact")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, impact.GetProperty("records").GetInt64());
        Assert.Equal(1, impact.GetProperty("rules").GetInt32());
        Assert.Equal(1, impact.GetProperty("eventTypes").GetInt32());
        Assert.Equal(1, impact.GetProperty("subscriptions").GetInt32());
        Assert.Equal(1, impact.GetProperty("pendingDeliveries").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"/api/listeners/{owned.Listener.Id}")).StatusCode);

        await (await PostRecordAsync(owned.Listener, 2)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await TablesOfAsync(owned.Listener.Id));

        // The integration and its webhook stay (with the webhook's pending delivery); what hung on the listener is gone.
        Assert.Equal((0, 1, 0, 0, 0, 1, 1), await RemainingAsync(owned));
        Assert.Equal((0, 0, 0, 1), await LeftoversAsync(owned));
        Assert.Equal(1, await portal.WithDbAsync(db => db.Integrations.CountAsync(i => i.Id == owned.Listener.IntegrationId)));
    }

    [Fact]
    public async Task Deleting_an_event_type_removes_its_subscriptions_and_staged_changes_and_cancels_their_deliveries()
    {
        var owned = await SeedAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"/api/event-types/{owned.EventTypeId}")).StatusCode);

        // Seen: the subscription's pending delivery stayed pending and the staged change stayed. The webhook and rule are not the event type's.
        Assert.Equal((1, 1, 0, 0, 1, 1, 1), await RemainingAsync(owned));
        Assert.Equal((0, 1, 1, 1), await LeftoversAsync(owned));
    }

    [Fact]
    public async Task Deleting_a_rule_removes_its_usage_and_firings()
    {
        var owned = await SeedAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"/api/integrations/{owned.Listener.IntegrationId}/notification-rules/{owned.RuleId}")).StatusCode);

        // Seen: the rule's firing history stayed behind.
        Assert.Equal((1, 1, 1, 1, 0, 2, 0), await RemainingAsync(owned));
        Assert.Equal((1, 0, 0, 1), await LeftoversAsync(owned));
    }

    public static TheoryData<string> OwnedDeletes => new() { "event-type", "rule" };

    [Theory]
    [MemberData(nameof(OwnedDeletes))]
    public async Task Deleting_an_event_type_or_a_rule_is_for_Admins_only_and_a_refusal_changes_nothing(string kind)
    {
        var owned = await SeedAsync();
        var path = kind == "rule" ? $"/api/integrations/{owned.Listener.IntegrationId}/notification-rules/{owned.RuleId}" : $"/api/event-types/{owned.EventTypeId}";
        var subscriberKey = await portal.CreateApiKeyAsync("Subscriber", "zapier", owned.Listener.IntegrationId);
        var before = (await RemainingAsync(owned), await LeftoversAsync(owned));

        await (await (await portal.AsSupportAsync()).DeleteAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.WithBearer(subscriberKey).DeleteAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().DeleteAsync(path)).AssertProblemAsync(HttpStatusCode.Unauthorized);

        Assert.Equal(before, (await RemainingAsync(owned), await LeftoversAsync(owned)));
    }

    [Fact]
    public async Task Deleting_a_user_removes_the_subscriptions_they_made_and_cancels_their_deliveries()
    {
        var owned = await SeedAsync();
        const string email = "subscribing-admin@test.local";
        await portal.EnsureUserAsync(email, PortalFactory.AdminPassword, "Admin");
        var eventName = (await (await portal.AsAdmin().GetAsync($"/api/event-types/{owned.EventTypeId}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("name").GetString();
        var subscription = (await (await portal.WithBasic(email, PortalFactory.AdminPassword).PostAsJsonAsync("/api/hooks/subscriptions", new { @event = eventName, target_url = "https://hooks.example.com/theirs" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var queued = Pending(Guid.NewGuid(), DeliveryTargetKind.Subscription, subscription, now);
        await portal.WithDbAsync(db =>
        {
            db.Messages.Add(new Message { Id = queued.MessageId, IntegrationId = owned.Listener.IntegrationId, EventType = "queued", Payload = "{}", CreatedUtc = now });
            db.Deliveries.Add(queued);
            return db.SaveChangesAsync();
        });
        var userId = (await (await portal.AsAdmin().GetAsync("/api/users")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().Single(u => u.GetProperty("email").GetString() == email).GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"/api/users/{userId}")).StatusCode);

        // Seen: the deleted user's subscription stayed and kept receiving events. Another owner's subscription stays.
        Assert.False(await portal.WithDbAsync(db => db.Subscriptions.AnyAsync(s => s.Id == subscription)));
        Assert.Equal(DeliveryState.Cancelled, await portal.WithDbAsync(db => db.Deliveries.Where(d => d.Id == queued.Id).Select(d => d.State).SingleAsync()));
        Assert.Equal((1, 1, 1, 1, 1, 2, 0), await RemainingAsync(owned));
    }

    [Fact]
    public async Task Disabling_a_listener_refuses_its_next_request_at_once()
    {
        var listener = await portal.CreateListenerAsync();
        await (await PostRecordAsync(listener, 1)).ReadJsonAsync(HttpStatusCode.OK);

        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { name = listener.Name, enabled = false, auth = new { method = "None" } })).ReadJsonAsync(HttpStatusCode.OK);

        await (await PostRecordAsync(listener, 2)).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));
    }

    public static TheoryData<string> ImpactPaths => new() { "integrations", "listeners" };

    [Theory]
    [MemberData(nameof(ImpactPaths))]
    public async Task The_deletion_impact_is_for_Admins_only(string kind)
    {
        var listener = await portal.CreateListenerAsync();
        var path = kind == "integrations" ? $"/api/integrations/{listener.IntegrationId}/deletion-impact" : $"/api/listeners/{listener.Id}/deletion-impact";
        var subscriberKey = await portal.CreateApiKeyAsync("Subscriber", "zapier", listener.IntegrationId);

        await (await portal.AsAdmin().GetAsync(path)).ReadJsonAsync(HttpStatusCode.OK);
        await (await (await portal.AsSupportAsync()).GetAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.WithBearer(subscriberKey).GetAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().GetAsync(path)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.AsAdmin().GetAsync(kind == "integrations" ? $"/api/integrations/{Guid.NewGuid()}/deletion-impact" : $"/api/listeners/{Guid.NewGuid()}/deletion-impact"))
            .AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
