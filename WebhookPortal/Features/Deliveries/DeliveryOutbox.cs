using Hangfire;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Telemetry;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// The one way the portal calls out. Publishing writes the message and its deliveries in one
/// transaction (outbox), then hands the attempts to Hangfire; a sweep re-enqueues whatever is due
/// when Hangfire lost it (InMemory storage after a restart). Callers that commit deliveries together
/// with their own changes pass their context (and transaction) to <see cref="Stage"/>.
/// </summary>
public sealed class DeliveryOutbox(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs, IServiceProvider services, TimeProvider time, ILogger<DeliveryOutbox> logger)
{
    public const string SweepJobId = "delivery-sweep";

    /// <summary>Adds a message and its deliveries to the caller's context (no save): the caller commits them with its own changes.</summary>
    public (Message Message, List<Delivery> Deliveries) Stage(PortalDbContext db, Guid? integrationId, string eventType, string payload, IEnumerable<DeliveryRequest> targets, Guid? messageId = null)
    {
        var (message, deliveries) = Create(integrationId, eventType, payload, targets, messageId);
        db.Messages.Add(message);
        db.Deliveries.AddRange(deliveries);
        return (message, deliveries);
    }

    /// <summary>
    /// A message and its deliveries, not yet in any context, inside the publish span: each delivery carries the span's
    /// trace context (its TraceParent column), so create them in the caller's context, before handing them to a writer.
    /// </summary>
    /// <remarks>
    /// Ids are time-ordered (UUID version 7): rows made together sit together in every index keyed by them (the primary
    /// keys, the log's DeliveryId), so a batch of attempts or publishes dirties a few pages there, not one random page
    /// each, and SQLite's commit writes and flushes that much less (issue 17, the recorder's commit was ~60 % of its turn).
    /// </remarks>
    public (Message Message, List<Delivery> Deliveries) Create(Guid? integrationId, string eventType, string payload, IEnumerable<DeliveryRequest> targets, Guid? messageId = null)
    {
        using var publish = PortalTelemetry.StartPublish(eventType, integrationId);
        var now = time.GetUtcNow().UtcDateTime;
        var message = new Message { Id = messageId ?? Guid.CreateVersion7(), IntegrationId = integrationId, EventType = eventType, Payload = payload, CreatedUtc = now };
        var deliveries = targets.Select(t => NewDelivery(message.Id, t, now)).ToList();
        return (message, deliveries);
    }

    /// <summary>A pending delivery of a message to one target, due now.</summary>
    public static Delivery NewDelivery(Guid messageId, DeliveryRequest target, DateTime now) => PortalTelemetry.Traced(new Delivery
    {
        Id = Guid.CreateVersion7(),
        MessageId = messageId,
        TargetKind = target.TargetKind,
        TargetId = target.TargetId,
        TargetName = target.TargetName,
        Url = target.Url,
        Method = target.Method,
        State = DeliveryState.Pending,
        NextAttemptUtc = now,
        CreatedUtc = now,
        UpdatedUtc = now,
    });

    /// <summary>
    /// After the commit: start the first attempts now (a lost hand-over is picked up by the sweep). In a running portal
    /// they go straight to this process's lanes; a Hangfire job per delivery cost more than the attempt's own work.
    /// </summary>
    public void Dispatch(IEnumerable<Delivery> deliveries)
    {
        var dispatcher = RunningDispatcher();
        foreach (var delivery in deliveries)
        {
            var id = delivery.Id;
            var targetId = delivery.TargetId;
            try
            {
                Start(dispatcher, id, targetId);
            }
            catch (Exception ex)
            {
                // The delivery is committed: a failed hand-over never fails the caller; the sweep enqueues it.
                logger.LogWarning(ex, "Could not start delivery {DeliveryId}; the sweep will.", id);
            }
        }
    }

    private DeliveryDispatcher? RunningDispatcher() => services.GetService<DeliveryDispatcher>() is { IsRunning: true } running ? running : null;

    /// <summary>Into this process's lanes when they run, else through a Hangfire job (hosts without the background services).</summary>
    private void Start(DeliveryDispatcher? dispatcher, Guid id, Guid targetId)
    {
        if (dispatcher is not null)
        {
            dispatcher.Queue(id, targetId);
        }
        else
        {
            jobs.Enqueue<DeliveryDispatcher>(d => d.Queue(id, targetId));
        }
    }

    /// <summary>Stores the message and its deliveries in a context of its own, then starts them.</summary>
    public async Task<Message> PublishAsync(Guid? integrationId, string eventType, string payload, IReadOnlyList<DeliveryRequest> targets, CancellationToken ct = default)
    {
        var (message, deliveries) = Create(integrationId, eventType, payload, targets);
        await StoreAsync(message, deliveries, ct);
        return message;
    }

    /// <summary>Stores a message and its deliveries made by <see cref="Create"/> in one transaction of their own, then starts them.</summary>
    public async Task StoreAsync(Message message, IReadOnlyList<Delivery> deliveries, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Messages.Add(message);
        db.Deliveries.AddRange(deliveries);
        await db.SaveChangesAsync(ct);
        Dispatch(deliveries);
    }

    /// <summary>
    /// Re-enqueues every due pending delivery whose lease is free, and releases held deliveries whose target no longer
    /// holds them (<see cref="ReleaseStrayHeldAsync"/>). Safe to run anywhere, any time.
    /// </summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        var released = 0;
        try
        {
            released = await ReleaseStrayHeldAsync(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // The due deliveries below matter more: a failed release is tried again at the next sweep.
            logger.LogWarning(ex, "The sweep could not release held deliveries; the next sweep tries again.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.Deliveries.AsNoTracking()
            .Where(d => d.State == DeliveryState.Pending && d.NextAttemptUtc <= now && (d.LeaseUntilUtc == null || d.LeaseUntilUtc < now))
            .OrderBy(d => d.NextAttemptUtc)
            .Take(1000)
            .ToListAsync(ct);
        Dispatch(due);
        return due.Count + released;
    }

    /// <summary>
    /// Held deliveries whose target no longer holds them (a webhook enabled while its release failed, or while the
    /// worker could not tell whether its hold still stood) are released here: the enable's own release is the usual
    /// way, this one makes sure none stays held behind a target that has recovered. Answers how many were started.
    /// </summary>
    public async Task<int> ReleaseStrayHeldAsync(CancellationToken ct = default)
    {
        var released = 0;
        foreach (var target in services.GetServices<IDeliveryTarget>())
        {
            IReadOnlyList<Guid> stray;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                stray = await target.NoLongerHoldingAsync(db, ct);
            }

            foreach (var targetId in stray)
            {
                try
                {
                    logger.LogInformation("The sweep releases the held deliveries of {TargetKind} {TargetId}: it no longer holds them.", target.Kind, targetId);
                    released += await ReleaseAsync(target.Kind, targetId, ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    // One target's failure does not keep the others held; the next sweep tries it again.
                    logger.LogWarning(ex, "The sweep could not release the held deliveries of {TargetKind} {TargetId}.", target.Kind, targetId);
                }
            }
        }

        return released;
    }

    /// <summary>
    /// At start: Hangfire's in-memory queue is empty after a restart, so every pending delivery is handed
    /// to it again: due ones now, later ones at their time.
    /// </summary>
    public async Task<int> RescheduleAllPendingAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var pending = await db.Deliveries.AsNoTracking().Where(d => d.State == DeliveryState.Pending).Select(d => new { d.Id, d.TargetId, d.NextAttemptUtc }).ToListAsync(ct);
        var dispatcher = RunningDispatcher();
        foreach (var delivery in pending)
        {
            var id = delivery.Id;
            var targetId = delivery.TargetId;
            if (delivery.NextAttemptUtc <= now)
            {
                Start(dispatcher, id, targetId);
            }
            else
            {
                jobs.Schedule<DeliveryDispatcher>(d => d.Queue(id, targetId), delivery.NextAttemptUtc - now);
            }
        }

        return pending.Count;
    }

    /// <summary>
    /// A target enabled again: its held deliveries go on as pending, due now, and are started. Answers how many.
    /// Also used when a failing receiver's probe succeeds, for the deliveries that waited behind it.
    /// </summary>
    public async Task<int> ReleaseAsync(DeliveryTargetKind targetKind, Guid targetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        await db.Deliveries.Where(d => d.TargetKind == targetKind && d.TargetId == targetId
                && (d.State == DeliveryState.Held || (d.State == DeliveryState.Pending && d.NextAttemptUtc > now && d.LeaseUntilUtc == null)))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Pending).SetProperty(d => d.NextAttemptUtc, now).SetProperty(d => d.UpdatedUtc, now), ct);
        var due = await db.Deliveries.AsNoTracking()
            .Where(d => d.TargetKind == targetKind && d.TargetId == targetId && d.State == DeliveryState.Pending && d.NextAttemptUtc <= now && d.LeaseUntilUtc == null)
            .ToListAsync(ct);
        Dispatch(due);
        return due.Count;
    }

    /// <summary>Cancels a deleted target's pending and held deliveries, in the caller's transaction (the delete and the cancel commit together).</summary>
    public async Task<int> CancelPendingAsync(PortalDbContext db, DeliveryTargetKind targetKind, Guid targetId, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return await db.Deliveries.Where(d => d.TargetKind == targetKind && d.TargetId == targetId && (d.State == DeliveryState.Pending || d.State == DeliveryState.Held))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Cancelled).SetProperty(d => d.UpdatedUtc, now).SetProperty(d => d.LastError, "Cancelled: the target was deleted."), ct);
    }

    /// <summary>Counts a target's pending (and held) deliveries, in the caller's transaction.</summary>
    public static Task<int> CountPendingAsync(PortalDbContext db, DeliveryTargetKind targetKind, Guid targetId, CancellationToken ct = default) =>
        db.Deliveries.CountAsync(d => d.TargetKind == targetKind && d.TargetId == targetId && (d.State == DeliveryState.Pending || d.State == DeliveryState.Held), ct);
}
