using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Audit;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Integrations;

/// <summary>
/// Deletes an integration or a listener with everything that belongs to it — generated tables, event types,
/// their subscriptions, notification rules, webhooks, pending deliveries (cancelled, kept as history) — in
/// one transaction, and drops the receiver's cached listeners at once, so the old URL answers 404 at once.
/// It spans features on purpose: one transaction cannot go through each feature's own service.
/// </summary>
public sealed class DeletionService(IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory directory, Webhooks.PublishRoutes routes, TimeProvider time)
{
    public async Task<DeletionImpact> IntegrationImpactAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Integrations.AnyAsync(i => i.Id == id, ct))
        {
            throw new NotFoundException($"No integration with id {id}.");
        }

        var listeners = await db.Listeners.AsNoTracking().Where(l => l.IntegrationId == id).ToListAsync(ct);
        var webhookIds = await db.Webhooks.Where(w => w.IntegrationId == id).Select(w => w.Id).ToListAsync(ct);
        var eventTypeIds = await db.EventTypes.Where(e => e.IntegrationId == id).Select(e => e.Id).ToListAsync(ct);
        return new DeletionImpact(
            listeners.Count,
            await RecordCountAsync(db, listeners, ct),
            webhookIds.Count,
            await db.NotificationRules.CountAsync(r => r.IntegrationId == id, ct),
            eventTypeIds.Count,
            await db.Subscriptions.CountAsync(s => eventTypeIds.Contains(s.EventTypeId) || s.IntegrationId == id, ct),
            await PendingQuery(db, webhookIds, [.. await SubscriptionIdsAsync(db, eventTypeIds, ct), .. await PortalSubscriptionIdsAsync(db, id, ct)]).CountAsync(ct));
    }

    /// <summary>REST hooks subscribed to an integration's portal events (portal.webhook.failing…).</summary>
    private static Task<List<Guid>> PortalSubscriptionIdsAsync(PortalDbContext db, Guid integrationId, CancellationToken ct) =>
        db.Subscriptions.Where(s => s.IntegrationId == integrationId).Select(s => s.Id).ToListAsync(ct);

    public async Task<DeletionImpact> ListenerImpactAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var listener = await db.Listeners.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct) ?? throw new NotFoundException($"No listener with id {id}.");
        var eventTypeIds = await db.EventTypes.Where(e => e.ListenerId == id).Select(e => e.Id).ToListAsync(ct);
        return new DeletionImpact(
            1,
            await RecordCountAsync(db, [listener], ct),
            0,
            await db.NotificationRules.CountAsync(r => r.ListenerId == id, ct),
            eventTypeIds.Count,
            await db.Subscriptions.CountAsync(s => eventTypeIds.Contains(s.EventTypeId), ct),
            await PendingQuery(db, [], await SubscriptionIdsAsync(db, eventTypeIds, ct)).CountAsync(ct));
    }

    /// <summary>The integration, its listeners (and their tables), webhooks, event types, subscriptions and rules; pending deliveries cancelled.</summary>
    public async Task DeleteIntegrationAsync(Guid id, CancellationToken ct = default)
    {
        try
        {
            // Cancelling deliveries can meet an attempt recording a failure on PostgreSQL (a deadlock, one side cancelled):
            // the whole delete runs again on a fresh context (TransientFailure).
            await TransientFailure.RetryAsync(() => DeleteIntegrationOnceAsync(id, ct), ct);
        }
        finally
        {
            routes.Invalidate();
        }
    }

    /// <summary>One run of the integration's delete, in one transaction.</summary>
    private async Task DeleteIntegrationOnceAsync(Guid id, CancellationToken ct)
    {
        // One context for the whole delete: every step runs in its transaction.
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var integration = await db.Integrations.FirstOrDefaultAsync(i => i.Id == id, ct) ?? throw new NotFoundException($"No integration with id {id}.");
        var listeners = await db.Listeners.AsNoTracking().Where(l => l.IntegrationId == id).ToListAsync(ct);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var webhooks = await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == id).ToListAsync(ct);
            var webhookIds = webhooks.Select(w => w.Id).ToList();
            var eventTypeIds = await db.EventTypes.Where(e => e.IntegrationId == id).Select(e => e.Id).ToListAsync(ct);
            var note = $"with integration '{integration.Name}'";
            await RemoveEventTypesAsync(db, eventTypeIds, ct, note);
            var portalSubscriptions = await PortalSubscriptionIdsAsync(db, id, ct);
            await CancelPendingAsync(db, webhookIds, portalSubscriptions, ct);
            await db.Subscriptions.Where(s => portalSubscriptions.Contains(s.Id)).ExecuteDeleteAsync(ct);
            await RemoveRulesAsync(db, db.NotificationRules.Where(r => r.IntegrationId == id), ct, note);
            await db.Webhooks.Where(w => w.IntegrationId == id).ExecuteDeleteAsync(ct);
            foreach (var listener in listeners)
            {
                await DropTablesAsync(db, listener, ct);
            }

            await db.Listeners.Where(l => l.IntegrationId == id).ExecuteDeleteAsync(ct);
            // What went with the integration is recorded too, each with its own masked snapshot.
            AuditLog.StageDeleted(db, [.. webhooks, .. listeners], note);
            db.Integrations.Remove(integration);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }
        finally
        {
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
        try
        {
            await TransientFailure.RetryAsync(() => DeleteListenerOnceAsync(id, ct), ct);
        }
        finally
        {
            directory.Invalidate(id);
        }
    }

    private async Task DeleteListenerOnceAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var listener = await db.Listeners.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct) ?? throw new NotFoundException($"No listener with id {id}.");
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var eventTypeIds = await db.EventTypes.Where(e => e.ListenerId == id).Select(e => e.Id).ToListAsync(ct);
        var note = $"with listener '{listener.Name}'";
        await RemoveEventTypesAsync(db, eventTypeIds, ct, note);
        await RemoveRulesAsync(db, db.NotificationRules.Where(r => r.ListenerId == id), ct, note);
        await DropTablesAsync(db, listener, ct);
        await db.Listeners.Where(l => l.Id == id).ExecuteDeleteAsync(ct);
        AuditLog.StageDeleted(db, [listener]);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>One event type with its subscriptions (pending deliveries cancelled) and its staged events, in one transaction.</summary>
    public Task DeleteEventTypeAsync(Guid id, CancellationToken ct = default) => TransientFailure.RetryAsync(async () =>
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await RemoveEventTypesAsync(db, [id], ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }, ct);

    /// <summary>One notification rule with its usage counts and firings, in one transaction.</summary>
    public async Task DeleteRuleAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await RemoveRulesAsync(db, db.NotificationRules.Where(r => r.Id == id), ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// The subscriptions a key or a user made (owner = the key's or user's id), their pending deliveries cancelled;
    /// on the caller's context, in its transaction, so that revoking a key or deleting a user stops what it subscribed to.
    /// </summary>
    public async Task RemoveSubscriptionsOfOwnerAsync(PortalDbContext db, string ownerId, CancellationToken ct = default)
    {
        var subscriptionIds = await db.Subscriptions.Where(s => s.OwnerId == ownerId).Select(s => s.Id).ToListAsync(ct);
        await CancelPendingAsync(db, [], subscriptionIds, ct);
        await db.Subscriptions.Where(s => subscriptionIds.Contains(s.Id)).ExecuteDeleteAsync(ct);
    }

    /// <summary>Removes the event types with their subscriptions; their deletion is staged in the audit trail (committed by the caller's save).</summary>
    private async Task RemoveEventTypesAsync(PortalDbContext db, List<Guid> eventTypeIds, CancellationToken ct, string? note = null)
    {
        AuditLog.StageDeleted(db, await db.EventTypes.AsNoTracking().Where(e => eventTypeIds.Contains(e.Id)).ToListAsync(ct), note);
        var subscriptionIds = await SubscriptionIdsAsync(db, eventTypeIds, ct);
        await CancelPendingAsync(db, [], subscriptionIds, ct);
        await db.Subscriptions.Where(s => eventTypeIds.Contains(s.EventTypeId)).ExecuteDeleteAsync(ct);
        await db.PendingEvents.Where(p => eventTypeIds.Contains(p.EventTypeId)).ExecuteDeleteAsync(ct);
        await db.EventTypes.Where(e => eventTypeIds.Contains(e.Id)).ExecuteDeleteAsync(ct);
    }

    private static async Task RemoveRulesAsync(PortalDbContext db, IQueryable<Notifications.NotificationRule> rules, CancellationToken ct, string? note = null)
    {
        var removed = await rules.AsNoTracking().ToListAsync(ct);
        var ruleIds = removed.Select(r => r.Id).ToList();
        AuditLog.StageDeleted(db, removed, note);
        await db.RuleUsage.Where(u => ruleIds.Contains(u.RuleId)).ExecuteDeleteAsync(ct);
        await db.RuleFirings.Where(f => ruleIds.Contains(f.RuleId)).ExecuteDeleteAsync(ct);
        await db.NotificationRules.Where(r => ruleIds.Contains(r.Id)).ExecuteDeleteAsync(ct);
    }

    private static Task<List<Guid>> SubscriptionIdsAsync(PortalDbContext db, List<Guid> eventTypeIds, CancellationToken ct) =>
        db.Subscriptions.Where(s => eventTypeIds.Contains(s.EventTypeId)).Select(s => s.Id).ToListAsync(ct);

    private static IQueryable<Delivery> PendingQuery(PortalDbContext db, List<Guid> webhookIds, List<Guid> subscriptionIds) =>
        db.Deliveries.Where(d => (d.State == DeliveryState.Pending || d.State == DeliveryState.Held) &&
            ((d.TargetKind == DeliveryTargetKind.Webhook && webhookIds.Contains(d.TargetId)) || (d.TargetKind == DeliveryTargetKind.Subscription && subscriptionIds.Contains(d.TargetId))));

    /// <summary>Cancelled, not deleted: the delivery log keeps what was tried; the worker skips anything not pending.</summary>
    private Task<int> CancelPendingAsync(PortalDbContext db, List<Guid> webhookIds, List<Guid> subscriptionIds, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return PendingQuery(db, webhookIds, subscriptionIds).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.State, DeliveryState.Cancelled).SetProperty(d => d.UpdatedUtc, now).SetProperty(d => d.LastError, "Cancelled: the target was deleted."), ct);
    }

    /// <summary>DDL in the same transaction as the rows: SQLite and PostgreSQL both roll it back with them.</summary>
    private static async Task DropTablesAsync(PortalDbContext db, Listener listener, CancellationToken ct)
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

    private static async Task<long> RecordCountAsync(PortalDbContext db, IReadOnlyList<Listener> listeners, CancellationToken ct)
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
                total += await new RecordReader(db.Database.GetDbConnection(), null, dialect, listener.Id, listener.GetSchema()!).CountAsync(ct);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return total;
    }
}
