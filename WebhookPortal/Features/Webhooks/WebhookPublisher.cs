using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Webhooks;

/// <summary>Publishes messages to an integration's webhooks (and test events to one webhook) through the delivery outbox.</summary>
public sealed class WebhookPublisher(IDbContextFactory<PortalDbContext> dbFactory, DeliveryOutbox outbox, PublishRoutes routes, IServiceProvider services, TimeProvider time, PortalCaller caller)
{
    /// <summary>Publishes to every enabled webhook of the integration whose event-type filter matches.</summary>
    public async Task<Message> PublishAsync(Guid integrationId, string? eventType, JsonElement? payload, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("publish events");
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(eventType) || eventType.Length > 200)
        {
            errors["eventType"] = ["The event type is required (at most 200 characters)."];
        }

        if (payload is not { } body || body.ValueKind == JsonValueKind.Undefined)
        {
            errors["payload"] = ["The payload is required (any JSON value)."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var enabled = await routes.OfAsync(integrationId, ct) ?? throw new NotFoundException($"No integration with id {integrationId}.");
        List<DeliveryRequest> targets = [];
        foreach (var webhook in enabled)
        {
            if (webhook.Accepts(eventType!))
            {
                targets.Add(new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, webhook.Name, webhook.PostUrl));
            }
        }

        // Many publishes share one commit (group commit); the 202 is answered after it.
        var (message, deliveries) = outbox.Create(integrationId, eventType!.Trim(), payload!.Value.GetRawText(), targets);
        if (services.GetService<PublishWriter>() is { } writer)
        {
            await writer.PublishAsync(message, deliveries, ct);
        }
        else
        {
            // Hosts without the background services (component tests): one transaction of its own.
            await outbox.StoreAsync(message, deliveries, ct);
        }

        return message;
    }

    /// <summary>Sends a sample event to this webhook only, through the delivery engine (signed, retried, logged).</summary>
    public async Task<Message> SendTestAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("send test events");
        Webhook webhook;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            webhook = await db.Webhooks.AsNoTracking().Include(w => w.Integration).FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        }

        if (!webhook.Enabled)
        {
            throw new ConflictException("The webhook is disabled; enable it to send a test event.");
        }

        var payload = JsonSerializer.Serialize(new
        {
            eventType = "webhook.test",
            orgName = webhook.Integration!.Name,
            webhookId = webhook.Id,
            triggerTime = time.GetUtcNow().ToUnixTimeMilliseconds(),
            message = "This is a test event sent from WebhookPortal.",
        });
        return await outbox.PublishAsync(webhook.IntegrationId, "webhook.test", payload, [new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, webhook.Name, webhook.PostUrl)], ct);
    }
}
