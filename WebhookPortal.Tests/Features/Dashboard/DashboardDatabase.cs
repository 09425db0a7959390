using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Dashboard;

/// <summary>
/// A migrated database without a running portal (no delivery worker to change what a test seeded): in-memory SQLite,
/// or a database of its own on the PostgreSQL server that PORTAL_TEST_POSTGRES names, as the rest of the suite.
/// </summary>
public sealed class DashboardDatabase() : ProviderDatabase("wp_dash_")
{
    public async Task<Integration> IntegrationAsync(string name)
    {
        var integration = new Integration { Id = Guid.NewGuid(), Name = name, CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow };
        await using var db = CreateDbContext();
        db.Integrations.Add(integration);
        await db.SaveChangesAsync();
        return integration;
    }

    public async Task<Webhook> WebhookAsync(Integration integration, string name, Action<Webhook>? configure = null)
    {
        var webhook = new Webhook { Id = Guid.NewGuid(), IntegrationId = integration.Id, Name = name, PostUrl = $"https://example.com/{name}", ProtectedSecret = "x", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow };
        configure?.Invoke(webhook);
        await using var db = CreateDbContext();
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync();
        return webhook;
    }

    /// <summary>Log entries, each at its own time.</summary>
    public async Task LogAsync(params (DateTime Time, LogDirection Direction, string Name, LogState State)[] entries)
    {
        await using var db = CreateDbContext();
        foreach (var (time, direction, name, state) in entries)
        {
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = time, Direction = direction, Name = name, Method = "POST", Path = "/hooks/x", State = state,
                Status = state == LogState.Error ? 422 : 200, Error = state == LogState.Error ? $"{name} failed at {time:HH:mm:ss}" : null,
            });
        }

        await db.SaveChangesAsync();
    }

    /// <summary>A delivery (with its message) to a webhook, created at <paramref name="created"/>.</summary>
    public async Task<Delivery> DeliveryAsync(Webhook webhook, DeliveryState state, DateTime created, DateTime? nextAttempt = null, int attempts = 1)
    {
        await using var db = CreateDbContext();
        var message = new Message { Id = Guid.NewGuid(), IntegrationId = webhook.IntegrationId, EventType = "order.created", Payload = "{}", CreatedUtc = created };
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = webhook.Id, TargetName = webhook.Name, Url = webhook.PostUrl,
            State = state, AttemptCount = attempts, NextAttemptUtc = nextAttempt ?? created, CreatedUtc = created, UpdatedUtc = created,
        };
        db.Messages.Add(message);
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        return delivery;
    }
}
