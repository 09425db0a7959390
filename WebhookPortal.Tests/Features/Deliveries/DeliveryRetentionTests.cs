using System.Net;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.PortalEvents;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// The retention job prunes the outbound side too (issue 17, "nothing grows without end"): finished deliveries, messages
/// no delivery needs and portal events older than Delivery:RetentionDays (30); pending and held deliveries stay, and so do their messages.
/// </summary>
public sealed class DeliveryRetentionTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Retention_deletes_aged_finished_deliveries_their_messages_and_portal_events_and_keeps_the_rest()
    {
        var integrationId = await portal.CreateIntegrationAsync("Org-" + Guid.NewGuid().ToString("N")[..8]);
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var old = now.AddDays(-40);
        var recent = now.AddDays(-5);
        Message NewMessage(DateTime created) => new() { Id = Guid.NewGuid(), IntegrationId = integrationId, EventType = "order.created", Payload = "{}", CreatedUtc = created };
        Delivery NewDelivery(Message message, DeliveryState state, DateTime updated) => new()
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "crm", Url = "https://example.com/crm",
            State = state, NextAttemptUtc = updated.AddYears(1), CreatedUtc = message.CreatedUtc, UpdatedUtc = updated,
        };

        var agedAllFinished = NewMessage(old);
        var agedWithPending = NewMessage(old);
        var agedWithHeld = NewMessage(old);
        var recentMessage = NewMessage(recent);
        var gone = new[] { NewDelivery(agedAllFinished, DeliveryState.Delivered, old), NewDelivery(agedAllFinished, DeliveryState.Failed, old), NewDelivery(agedWithPending, DeliveryState.Cancelled, old) };
        var kept = new[] { NewDelivery(agedWithPending, DeliveryState.Pending, old), NewDelivery(agedWithHeld, DeliveryState.Held, old), NewDelivery(recentMessage, DeliveryState.Delivered, recent) };
        PortalEvent NewEvent(DateTime time) => new() { Id = Guid.NewGuid(), TimeUtc = time, Type = PortalEventTypes.WebhookFailing, IntegrationId = integrationId, Subject = "crm", Reason = "r" };
        var oldEvent = NewEvent(old);
        var recentEvent = NewEvent(recent);
        await portal.WithDbAsync(async db =>
        {
            db.Messages.AddRange(agedAllFinished, agedWithPending, agedWithHeld, recentMessage);
            db.Deliveries.AddRange(gone);
            db.Deliveries.AddRange(kept);
            db.PortalEvents.AddRange(oldEvent, recentEvent);
            return await db.SaveChangesAsync();
        });

        var run = await portal.RunRetentionAsync();

        Assert.Equal(3, run.Deleted("delivery", "deliveries"));
        Assert.Equal(1, run.Deleted("message", "messages"));
        Assert.Equal(1, run.Deleted("portal event", "portal events"));
        var deliveries = await portal.WithDbAsync(db => db.Deliveries.Select(d => d.Id).ToListAsync());
        Assert.Equal(kept.Select(d => d.Id).Order(), deliveries.Order());
        var messages = await portal.WithDbAsync(db => db.Messages.Select(m => m.Id).ToListAsync());
        Assert.Equal(new[] { agedWithPending.Id, agedWithHeld.Id, recentMessage.Id }.Order(), messages.Order());
        Assert.Equal([recentEvent.Id], await portal.WithDbAsync(db => db.PortalEvents.Select(e => e.Id).ToListAsync()));

        // A second run finds nothing more.
        var again = await portal.RunRetentionAsync();
        Assert.NotEqual(run.GetProperty("id").GetGuid(), again.GetProperty("id").GetGuid());
        Assert.Equal(0, again.Deleted("delivery", "deliveries") + again.Deleted("message", "messages") + again.Deleted("portal event", "portal events"));
    }
}
