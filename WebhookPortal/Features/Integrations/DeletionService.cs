using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Integrations;

/// <summary>What deleting an integration or a listener takes with it (the confirmation dialog shows it).</summary>
public sealed record DeletionImpact(int Listeners, long Records, int Webhooks, int Rules, int EventTypes, int Subscriptions, int PendingDeliveries)
{
    /// <summary>One sentence for the confirmation dialog, every count spelled out (zeros too, so nothing is left to guess).</summary>
    public string Describe(bool ofIntegration) =>
        (ofIntegration ? $"With it go {Count(Listeners, "listener")} with {Count(Records, "stored record")}, {Count(Webhooks, "webhook")}, " : $"With it go {Count(Records, "stored record")}, ")
        + $"{Count(Rules, "notification rule")}, {Count(EventTypes, "event type")} and {Count(Subscriptions, "subscription")}"
        + (PendingDeliveries > 0 ? $"; {Count(PendingDeliveries, "pending delivery", "pending deliveries")} are cancelled." : ".");

    private static string Count(long n, string one, string? many = null) =>
        $"{n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} {(n == 1 ? one : many ?? one + "s")}";
}

/// <summary>
/// Deletes an integration or a listener with everything that belongs to it — generated tables, event types,
/// their subscriptions, notification rules, webhooks, pending deliveries (cancelled, kept as history) — in
/// one transaction, and drops the receiver's cached listeners at once, so the old URL answers 404 at once.
/// It spans features on purpose: one transaction cannot go through each feature's own service.
/// </summary>
public sealed class DeletionService(PortalDbContext db, ListenerDirectory directory, TimeProvider time)
{
    public async Task<DeletionImpact> IntegrationImpactAsync(Guid id, CancellationToken ct = default)
    {
        if (!await db.Integrations.AnyAsync(i => i.Id == id, ct))
        {
            throw new NotFoundException($"No integration with id {id}.");
        }

        var listeners = await db.Listeners.AsNoTracking().Where(l => l.IntegrationId == id).ToListAsync(ct);
        var webhookIds = await db.Webhooks.Where(w => w.IntegrationId == id).Select(w => w.Id).ToListAsync(ct);
        var eventTypeIds = await db.EventTypes.Where(e => e.IntegrationId == id).Select(e => e.Id).ToListAsync(ct);
        return new DeletionImpact(
            listeners.Count,
            await RecordCountAsync(listeners, ct),
            webhookIds.Count,
            await db.NotificationRules.CountAsync(r => r.IntegrationId == id, ct),
            eventTypeIds.Count,
            await db.Subscriptions.CountAsync(s => eventTypeIds.Contains(s.EventTypeId), ct),
            await PendingQuery(webhookIds, await SubscriptionIdsAsync(eventTypeIds, ct)).CountAsync(ct));
    }

    public async Task<DeletionImpact> ListenerImpactAsync(Guid id, CancellationToken ct = default)
    {
        var listener = await db.Listeners.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct) ?? throw new NotFoundException($"No listener with id {id}.");
        var eventTypeIds = await db.EventTypes.Where(e => e.ListenerId == id).Select(e => e.Id).ToListAsync(ct);
        return new DeletionImpact(
            1,
            await RecordCountAsync([listener], ct),
            0,
            await db.NotificationRules.CountAsync(r => r.ListenerId == id, ct),
            eventTypeIds.Count,
            await db.Subscriptions.CountAsync(s => eventTypeIds.Contains(s.EventTypeId), ct),
            await PendingQuery([], await SubscriptionIdsAsync(eventTypeIds, ct)).CountAsync(ct));
    }

    /// <summary>The integration, its listeners (and their tables), webhooks, event types, subscriptions and rules; pending deliveries cancelled.</summary>
    public async Task DeleteIntegrationAsync(Guid id, CancellationToken ct = default)
    {
        var integration = await db.Integrations.FirstOrDefaultAsync(i => i.Id == id, ct) ?? throw new NotFoundException($"No integration with id {id}.");
        var listeners = await db.Listeners.AsNoTracking().Where(l => l.IntegrationId == id).ToListAsync(ct);
        try
        {
            await using (var transaction = await db.Database.BeginTransactionAsync(ct))
            {
                var webhookIds = await db.Webhooks.Where(w => w.IntegrationId == id).Select(w => w.Id).ToListAsync(ct);
                var eventTypeIds = await db.EventTypes.Where(e => e.IntegrationId == id).Select(e => e.Id).ToListAsync(ct);
                await RemoveEventTypesAsync(eventTypeIds, ct);
                await CancelPendingAsync(webhookIds, [], ct);
                await RemoveRulesAsync(db.NotificationRules.Where(r => r.IntegrationId == id), ct);
                await db.Webhooks.Where(w => w.IntegrationId == id).ExecuteDeleteAsync(ct);
                foreach (var listener in listeners)
                {
                    await DropTablesAsync(listener, ct);
                }

                await db.Listeners.Where(l => l.IntegrationId == id).ExecuteDeleteAsync(ct);
                db.Integrations.Remove(integration);
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }
        }
        finally
        {
            db.ChangeTracker.Clear();

            // Dropped whatever the outcome: a rolled-back delete only costs a cache miss.
            foreach (var listener in listeners)
            {
                directory.Invalidate(listener.Id);
            }
        }
    }

    /// <summary>The listener and its tables, event types (with subscriptions) and the rules scoped to it; pending deliveries cancelled.</summary>
    public async Task DeleteListenerAsync(Guid id, CancellationToken ct = default)
    {
        var listener = await db.Listeners.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct) ?? throw new NotFoundException($"No listener with id {id}.");
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var eventTypeIds = await db.EventTypes.Where(e => e.ListenerId == id).Select(e => e.Id).ToListAsync(ct);
            await RemoveEventTypesAsync(eventTypeIds, ct);
            await RemoveRulesAsync(db.NotificationRules.Where(r => r.ListenerId == id), ct);
            await DropTablesAsync(listener, ct);
            await db.Listeners.Where(l => l.Id == id).ExecuteDeleteAsync(ct);
            await transaction.CommitAsync(ct);
        }
        finally
        {
            db.ChangeTracker.Clear();
            directory.Invalidate(id);
        }
    }

    /// <summary>One event type with its subscriptions (pending deliveries cancelled) and its staged events, in one transaction.</summary>
    public async Task DeleteEventTypeAsync(Guid id, CancellationToken ct = default)
    {
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await RemoveEventTypesAsync([id], ct);
            await transaction.CommitAsync(ct);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>One notification rule with its usage counts and firings, in one transaction.</summary>
    public async Task DeleteRuleAsync(Guid id, CancellationToken ct = default)
    {
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await RemoveRulesAsync(db.NotificationRules.Where(r => r.Id == id), ct);
            await transaction.CommitAsync(ct);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// The subscriptions a key or a user made (owner = the key's or user's id), their pending deliveries cancelled;
    /// in the caller's transaction, so that revoking a key or deleting a user stops what it subscribed to.
    /// </summary>
    public async Task RemoveSubscriptionsOfOwnerAsync(string ownerId, CancellationToken ct = default)
    {
        var subscriptionIds = await db.Subscriptions.Where(s => s.OwnerId == ownerId).Select(s => s.Id).ToListAsync(ct);
        await CancelPendingAsync([], subscriptionIds, ct);
        await db.Subscriptions.Where(s => subscriptionIds.Contains(s.Id)).ExecuteDeleteAsync(ct);
    }

    private async Task RemoveEventTypesAsync(List<Guid> eventTypeIds, CancellationToken ct)
    {
        var subscriptionIds = await SubscriptionIdsAsync(eventTypeIds, ct);
        await CancelPendingAsync([], subscriptionIds, ct);
        await db.Subscriptions.Where(s => eventTypeIds.Contains(s.EventTypeId)).ExecuteDeleteAsync(ct);
        await db.PendingEvents.Where(p => eventTypeIds.Contains(p.EventTypeId)).ExecuteDeleteAsync(ct);
        await db.EventTypes.Where(e => eventTypeIds.Contains(e.Id)).ExecuteDeleteAsync(ct);
    }

    private async Task RemoveRulesAsync(IQueryable<Notifications.NotificationRule> rules, CancellationToken ct)
    {
        var ruleIds = await rules.Select(r => r.Id).ToListAsync(ct);
        await db.RuleUsage.Where(u => ruleIds.Contains(u.RuleId)).ExecuteDeleteAsync(ct);
        await db.RuleFirings.Where(f => ruleIds.Contains(f.RuleId)).ExecuteDeleteAsync(ct);
        await db.NotificationRules.Where(r => ruleIds.Contains(r.Id)).ExecuteDeleteAsync(ct);
    }

    private Task<List<Guid>> SubscriptionIdsAsync(List<Guid> eventTypeIds, CancellationToken ct) =>
        db.Subscriptions.Where(s => eventTypeIds.Contains(s.EventTypeId)).Select(s => s.Id).ToListAsync(ct);

    private IQueryable<Delivery> PendingQuery(List<Guid> webhookIds, List<Guid> subscriptionIds) =>
        db.Deliveries.Where(d => d.State == DeliveryStates.Pending &&
            ((d.TargetKind == DeliveryTargets.Webhook && webhookIds.Contains(d.TargetId)) || (d.TargetKind == DeliveryTargets.Subscription && subscriptionIds.Contains(d.TargetId))));

    /// <summary>Cancelled, not deleted: the delivery log keeps what was tried; the worker skips anything not pending.</summary>
    private Task<int> CancelPendingAsync(List<Guid> webhookIds, List<Guid> subscriptionIds, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return PendingQuery(webhookIds, subscriptionIds).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.State, DeliveryStates.Cancelled).SetProperty(d => d.UpdatedUtc, now).SetProperty(d => d.LastError, "Cancelled: the target was deleted."), ct);
    }

    /// <summary>DDL in the same transaction as the rows: SQLite and PostgreSQL both roll it back with them.</summary>
    private async Task DropTablesAsync(Listener listener, CancellationToken ct)
    {
        if (listener.GetSchema() is not { } schema)
        {
            return;
        }

        var dialect = SqlDialect.For(db.Database.IsSqlite());
        foreach (var table in schema.Tables.Reverse())
        {
            var drop = $"DROP TABLE IF EXISTS {dialect.Quote(SqlDialect.PhysicalName(listener.Id, table.Name))}";
            await db.Database.ExecuteSqlRawAsync(drop, ct);
        }
    }

    private async Task<long> RecordCountAsync(IReadOnlyList<Listener> listeners, CancellationToken ct)
    {
        var withTables = listeners.Where(l => l.GetSchema() is not null).ToList();
        if (withTables.Count == 0)
        {
            return 0;
        }

        var total = 0L;
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var dialect = SqlDialect.For(db.Database.IsSqlite());
            foreach (var listener in withTables)
            {
                total += await new RecordStore(db.Database.GetDbConnection(), null, dialect, listener.Id, listener.GetSchema()!).CountAsync(ct);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return total;
    }
}
