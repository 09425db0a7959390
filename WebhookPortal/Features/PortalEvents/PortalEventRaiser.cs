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
            Id = Guid.CreateVersion7(),
            TimeUtc = now,
            Type = type,
            IntegrationId = webhook.IntegrationId,
            WebhookId = webhook.Id,
            Subject = webhook.Name,
            Reason = reason.Length > 1000 ? reason[..1000] : reason,
        };
        db.PortalEvents.Add(portalEvent);

        // Never to the webhook it is about: a failing receiver is the last one to tell. REST hooks subscribed to the
        // type for this integration get it too.
        var subscribers = (await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == webhook.IntegrationId && w.Enabled && w.Id != webhook.Id && w.EventTypesJson != null).ToListAsync(ct))
            .Where(w => w.EventTypes.Contains(type, StringComparer.Ordinal))
            .Select(w => new DeliveryRequest(DeliveryTargetKind.Webhook, w.Id, w.Name, w.PostUrl))
            .Concat((await db.Subscriptions.AsNoTracking().Where(s => s.IntegrationId == webhook.IntegrationId && s.PortalEventType == type).ToListAsync(ct))
                .Select(s => new DeliveryRequest(DeliveryTargetKind.Subscription, s.Id, $"{type} → {Redaction.Url(s.TargetUrl)}", s.TargetUrl)))
            .ToList();
        if (subscribers.Count > 0)
        {
            var health = webhook.Health;
            var payload = Payload(type, portalEvent.Id, now, webhook.IntegrationId, webhook.Id, webhook.Name, Redaction.Url(webhook.PostUrl), health.State, health.Since, health.Reason, portalEvent.Reason);
            portalEvent.MessageId = outbox.Stage(db, webhook.IntegrationId, type, payload, subscribers).Message.Id;
        }

        return portalEvent;
    }

    private static string Payload(string type, Guid id, DateTime time, Guid integrationId, Guid webhookId, string name, string url, string state, DateTime? since, string? healthReason, string reason) =>
        JsonSerializer.Serialize(new
        {
            type,
            id,
            time,
            integrationId,
            webhook = new { id = webhookId, name, url },
            health = new { state, since, reason = healthReason },
            reason,
        });

    /// <summary>What a portal event of this type looks like, for a REST-hook client's perform-list (no real one needed).</summary>
    public static JsonElement Example(string type, Guid integrationId)
    {
        var disabled = type == PortalEventTypes.WebhookDisabled;
        var since = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        var reason = disabled ? "The receiver answered 410 Gone." : "An attempt failed: The receiver answered 503 Service Unavailable.";
        return JsonDocument.Parse(Payload(type, Guid.Empty, since, integrationId, Guid.Empty, "example-webhook", "https://hooks.example.com/receiver",
            disabled ? "disabled" : "failing", since, disabled ? reason : "Every attempt since then failed.", reason)).RootElement.Clone();
    }
}
