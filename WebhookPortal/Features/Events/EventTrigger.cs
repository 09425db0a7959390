using Hangfire;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Telemetry;

namespace WebhookPortal.Features.Events;

/// <summary>
/// Fires event types when records change. Lives in the receiver writer's batch scope (or a Hangfire job's) and
/// shares that scope's <see cref="PortalDbContext"/> and transaction, so what it stages commits with the data.
/// Never used by a page.
/// </summary>
public sealed class EventTrigger(PortalDbContext db, EventPayloads payloads, DeliveryOutbox outbox, TimeProvider time, IBackgroundJobClient jobs, ILogger<EventTrigger> logger)
{
    // Staged in the receiver's transaction, handed to Hangfire once it committed.
    private readonly List<Guid> pendingAfterCommit = [];

    /// <summary>
    /// Data tracking, inside the receiver's write transaction: each change fires the listener's matching event
    /// types. Without a script the record is the payload and is staged as a message at once (outbox); with one,
    /// the change is staged as a <see cref="PendingEvent"/> and its script runs after the commit
    /// (<see cref="RunPendingAsync"/>), so a slow script never holds the writer. Never fails the request.
    /// </summary>
    public async Task<List<Delivery>> StageAsync(Guid integrationId, Guid listenerId, IReadOnlyList<RecordChange> changes, CancellationToken ct)
    {
        var staged = new List<Delivery>();
        if (changes.Count == 0)
        {
            return staged;
        }

        var types = await db.EventTypes.AsNoTracking().Where(e => e.ListenerId == listenerId && e.Enabled).ToListAsync(ct);
        if (types.Count == 0)
        {
            return staged;
        }

        List<Webhook>? webhooks = null;
        foreach (var change in changes)
        {
            foreach (var type in types.Where(t => t.Actions.Contains(change.Action)))
            {
                var record = change.Record.ToJsonString();
                if (!string.IsNullOrWhiteSpace(type.Script))
                {
                    var pending = new PendingEvent { Id = Guid.CreateVersion7(), IntegrationId = integrationId, EventTypeId = type.Id, Action = change.Action, RecordJson = record, CreatedUtc = time.GetUtcNow().UtcDateTime, TraceParent = PortalTelemetry.CurrentTraceParent };
                    db.PendingEvents.Add(pending);
                    pendingAfterCommit.Add(pending.Id);
                    continue;
                }

                webhooks ??= await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == integrationId && w.Enabled).ToListAsync(ct);
                staged.AddRange(await StageMessageAsync(type, record, webhooks, ct));
            }
        }

        return staged;
    }

    /// <summary>After the receiver's commit: hands the scripted changes of the batch to Hangfire.</summary>
    public void DispatchPending()
    {
        foreach (var id in pendingAfterCommit)
        {
            try
            {
                jobs.Enqueue<EventTrigger>(e => e.RunPendingAsync(id, CancellationToken.None));
            }
            catch (Exception ex)
            {
                // The pending event is committed: the sweep picks it up.
                logger.LogWarning(ex, "Could not hand pending event {PendingEventId} to Hangfire; the sweep will.", id);
            }
        }

        pendingAfterCommit.Clear();
    }

    /// <summary>
    /// Runs a pending event's payload script outside any transaction, then stages the message (or logs the script's
    /// error) and removes the pending row in one transaction; a second run of the same row finds it gone and stops.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task RunPendingAsync(Guid id, CancellationToken ct = default)
    {
        var pending = await db.PendingEvents.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (pending is null)
        {
            return;
        }

        using var script = PortalTelemetry.StartEventScript(pending);
        var type = await db.EventTypes.AsNoTracking().FirstOrDefaultAsync(e => e.Id == pending.EventTypeId && e.Enabled, ct);
        string? payload = null;
        string? error = null;
        if (type is not null)
        {
            try
            {
                payload = payloads.Build(type, pending.RecordJson, pending.Action);
            }
            catch (UnprocessableException ex)
            {
                error = ex.Message;
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (await db.PendingEvents.Where(p => p.Id == id).ExecuteDeleteAsync(ct) == 0)
        {
            return;
        }

        var staged = new List<Delivery>();
        if (type is not null && error is not null)
        {
            logger.LogWarning("The payload script of event type {EventType} failed; the event was not sent: {Error}", type.Name, error);
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = time.GetUtcNow().UtcDateTime,
                Direction = LogDirection.Outbound,
                IntegrationId = pending.IntegrationId,
                SourceId = type.Id,
                Name = type.Name,
                Method = "EVENT",
                Path = $"event:{type.Name}/{pending.Action}",
                EventType = type.Name,
                State = LogState.Error,
                Error = "The payload script failed; the event was not sent: " + error,
                RequestBody = pending.RecordJson,
            });
        }
        else if (type is not null && payload is not null)
        {
            var webhooks = await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == pending.IntegrationId && w.Enabled).ToListAsync(ct);
            staged = await StageMessageAsync(type, payload, webhooks, ct);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        outbox.Dispatch(staged);
    }

    /// <summary>Hands pending events that lost their Hangfire job (a restart with in-memory storage) back to it.</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> SweepPendingAsync(CancellationToken ct = default)
    {
        var before = time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(30);
        pendingAfterCommit.AddRange(await db.PendingEvents.AsNoTracking().Where(p => p.CreatedUtc < before).OrderBy(p => p.CreatedUtc).Select(p => p.Id).Take(1000).ToListAsync(ct));
        var count = pendingAfterCommit.Count;
        DispatchPending();
        return count;
    }

    private async Task<List<Delivery>> StageMessageAsync(EventType type, string payload, List<Webhook> webhooks, CancellationToken ct)
    {
        var subscriptions = await db.Subscriptions.AsNoTracking().Where(s => s.EventTypeId == type.Id).ToListAsync(ct);
        var targets = subscriptions.Select(s => new DeliveryRequest(DeliveryTargetKind.Subscription, s.Id, $"{type.Name} → {Redaction.Url(s.TargetUrl)}", s.TargetUrl))
            .Concat(webhooks.Where(w => w.Accepts(type.Name)).Select(w => new DeliveryRequest(DeliveryTargetKind.Webhook, w.Id, w.Name, w.PostUrl)))
            .ToList();
        return outbox.Stage(db, type.IntegrationId, type.Name, payload, targets).Deliveries;
    }
}
