using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;

namespace WebhookPortal.Features.PortalEvents;

/// <summary>
/// Raises portal events into the caller's context: the event row, and a message with one delivery to each other enabled
/// webhook of the integration that lists the event's type. Nothing is saved here: the caller commits it with the change
/// that caused it (the attempt that failed, the person's disable) and dispatches the staged deliveries afterwards.
/// </summary>
public sealed class PortalEventRaiser(DeliveryOutbox outbox, TimeProvider time)
{
    public async Task<PortalEvent> RaiseAsync(PortalDbContext db, string type, Webhook webhook, string reason, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var portalEvent = new PortalEvent
        {
            Id = Guid.NewGuid(),
            TimeUtc = now,
            Type = type,
            IntegrationId = webhook.IntegrationId,
            WebhookId = webhook.Id,
            Subject = webhook.Name,
            Reason = reason.Length > 1000 ? reason[..1000] : reason,
        };
        db.PortalEvents.Add(portalEvent);

        // Never to the webhook it is about: a failing receiver is the last one to tell.
        var subscribers = (await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == webhook.IntegrationId && w.Enabled && w.Id != webhook.Id && w.EventTypesJson != null).ToListAsync(ct))
            .Where(w => w.EventTypes.Contains(type, StringComparer.Ordinal))
            .Select(w => new DeliveryRequest(DeliveryTargetKind.Webhook, w.Id, w.Name, w.PostUrl))
            .ToList();
        if (subscribers.Count > 0)
        {
            var health = webhook.Health;
            var payload = JsonSerializer.Serialize(new
            {
                type,
                id = portalEvent.Id,
                time = now,
                integrationId = webhook.IntegrationId,
                webhook = new { id = webhook.Id, name = webhook.Name, url = Redaction.Url(webhook.PostUrl) },
                health = new { state = health.State, since = health.Since, reason = health.Reason },
                reason = portalEvent.Reason,
            });
            portalEvent.MessageId = outbox.Stage(db, webhook.IntegrationId, type, payload, subscribers).Message.Id;
        }

        return portalEvent;
    }
}
