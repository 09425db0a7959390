using Hangfire;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Deliveries;

public sealed record DeliveryView(Guid Id, Guid MessageId, string EventType, string TargetKind, Guid TargetId, string TargetName, string Url, string State, int AttemptCount,
    DateTime NextAttemptUtc, int? LastStatus, string? LastError, DateTime Created, DateTime Updated);

public sealed record AttemptView(long LogId, int Attempt, DateTime Time, int Status, string State, string? Error, long DurationMs);

public sealed record DeliveryDetail(DeliveryView Delivery, string Payload, IReadOnlyList<AttemptView> Attempts);

/// <summary>A target for one message: the delivery engine sends it there.</summary>
public sealed record DeliveryRequest(string TargetKind, Guid TargetId, string TargetName, string Url, string Method = "POST");

/// <summary>
/// The one way the portal calls out. Publishing writes the message and its deliveries in one
/// transaction (outbox), then hands the attempts to Hangfire; a sweep re-enqueues whatever is due
/// when Hangfire lost it (InMemory storage after a restart).
/// </summary>
public sealed class DeliveryService(PortalDbContext db, IBackgroundJobClient jobs, TimeProvider time, ILogger<DeliveryService> logger, WebhookPortal.Infrastructure.Auth.PortalCaller caller)
{
    public const string SweepJobId = "delivery-sweep";

    /// <summary>Adds a message and its deliveries to the context (no save): callers commit them with their own changes.</summary>
    public (Message Message, List<Delivery> Deliveries) Stage(Guid? integrationId, string eventType, string payload, IEnumerable<DeliveryRequest> targets, Guid? messageId = null)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var message = new Message { Id = messageId ?? Guid.NewGuid(), IntegrationId = integrationId, EventType = eventType, Payload = payload, CreatedUtc = now };
        db.Messages.Add(message);
        var deliveries = targets.Select(t => new Delivery
        {
            Id = Guid.NewGuid(),
            MessageId = message.Id,
            TargetKind = t.TargetKind,
            TargetId = t.TargetId,
            TargetName = t.TargetName,
            Url = t.Url,
            Method = t.Method,
            State = DeliveryStates.Pending,
            NextAttemptUtc = now,
            CreatedUtc = now,
            UpdatedUtc = now,
        }).ToList();
        db.Deliveries.AddRange(deliveries);
        return (message, deliveries);
    }

    /// <summary>After the commit: start the first attempts now (a lost job is picked up by the sweep).</summary>
    public void Dispatch(IEnumerable<Delivery> deliveries)
    {
        foreach (var delivery in deliveries)
        {
            var id = delivery.Id;
            try
            {
                jobs.Enqueue<DeliveryWorker>(w => w.AttemptAsync(id, CancellationToken.None));
            }
            catch (Exception ex)
            {
                // The delivery is committed: a failed hand-over never fails the caller; the sweep enqueues it.
                logger.LogWarning(ex, "Could not hand delivery {DeliveryId} to Hangfire; the sweep will.", id);
            }
        }
    }

    public async Task<Message> PublishAsync(Guid? integrationId, string eventType, string payload, IReadOnlyList<DeliveryRequest> targets, CancellationToken ct = default)
    {
        var (message, deliveries) = Stage(integrationId, eventType, payload, targets);
        await db.SaveChangesAsync(ct);
        Dispatch(deliveries);
        return message;
    }

    /// <summary>Re-enqueues every due pending delivery whose lease is free. Safe to run anywhere, any time.</summary>
    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.Deliveries.AsNoTracking()
            .Where(d => d.State == DeliveryStates.Pending && d.NextAttemptUtc <= now && (d.LeaseUntilUtc == null || d.LeaseUntilUtc < now))
            .OrderBy(d => d.NextAttemptUtc)
            .Take(1000)
            .ToListAsync(ct);
        Dispatch(due);
        return due.Count;
    }

    /// <summary>
    /// At start: Hangfire's in-memory queue is empty after a restart, so every pending delivery is handed
    /// to it again: due ones now, later ones at their time.
    /// </summary>
    public async Task<int> RescheduleAllPendingAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var pending = await db.Deliveries.AsNoTracking().Where(d => d.State == DeliveryStates.Pending).Select(d => new { d.Id, d.NextAttemptUtc }).ToListAsync(ct);
        foreach (var delivery in pending)
        {
            var id = delivery.Id;
            if (delivery.NextAttemptUtc <= now)
            {
                jobs.Enqueue<DeliveryWorker>(w => w.AttemptAsync(id, CancellationToken.None));
            }
            else
            {
                jobs.Schedule<DeliveryWorker>(w => w.AttemptAsync(id, CancellationToken.None), delivery.NextAttemptUtc - now);
            }
        }

        return pending.Count;
    }

    /// <summary>Sends the message of a delivery again to the same target, as a new delivery.</summary>
    public async Task<DeliveryView> RedeliverAsync(Guid deliveryId, CancellationToken ct = default)
    {
        // Support may redeliver (SPEC: "Support may read and redeliver/replay"); who did it is recorded.
        var user = await caller.RequireStaffAsync("redeliver messages");
        var original = await db.Deliveries.AsNoTracking().Include(d => d.Message).FirstOrDefaultAsync(d => d.Id == deliveryId, ct)
            ?? throw new NotFoundException($"No delivery with id {deliveryId}.");
        if (original.State == DeliveryStates.Pending)
        {
            throw new ConflictException("The delivery is still pending; it will be attempted again on its own.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var copy = new Delivery
        {
            Id = Guid.NewGuid(),
            MessageId = original.MessageId,
            TargetKind = original.TargetKind,
            TargetId = original.TargetId,
            TargetName = original.TargetName,
            Url = original.Url,
            Method = original.Method,
            NextAttemptUtc = now,
            CreatedUtc = now,
            UpdatedUtc = now,
        };
        db.Deliveries.Add(copy);
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Delivery {DeliveryId} redelivered as {NewDeliveryId} by {User}.", deliveryId, copy.Id, user.Identity?.Name);
        Dispatch([copy]);
        copy.Message = original.Message;
        return ToView(copy, WebhookPortal.Infrastructure.Auth.PortalCaller.IsAdmin(user));
    }

    public async Task<int> CancelPendingAsync(string targetKind, Guid targetId, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return await db.Deliveries.Where(d => d.TargetKind == targetKind && d.TargetId == targetId && d.State == DeliveryStates.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryStates.Cancelled).SetProperty(d => d.UpdatedUtc, now).SetProperty(d => d.LastError, "Cancelled: the target was deleted."), ct);
    }

    public Task<int> CountPendingAsync(string targetKind, Guid targetId, CancellationToken ct = default) =>
        db.Deliveries.CountAsync(d => d.TargetKind == targetKind && d.TargetId == targetId && d.State == DeliveryStates.Pending, ct);

    public async Task<IReadOnlyList<DeliveryView>> ListAsync(string? targetKind, Guid? targetId, int take = 100, CancellationToken ct = default)
    {
        var query = db.Deliveries.AsNoTracking().Include(d => d.Message).AsQueryable();
        if (targetKind is not null)
        {
            query = query.Where(d => d.TargetKind == targetKind);
        }

        if (targetId is { } id)
        {
            query = query.Where(d => d.TargetId == id);
        }

        var reveal = await caller.IsAdminAsync();
        return (await query.OrderByDescending(d => d.CreatedUtc).Take(take).ToListAsync(ct)).Select(d => ToView(d, reveal)).ToList();
    }

    public async Task<DeliveryDetail> GetAsync(Guid id, CancellationToken ct = default)
    {
        var delivery = await db.Deliveries.AsNoTracking().Include(d => d.Message).FirstOrDefaultAsync(d => d.Id == id, ct)
            ?? throw new NotFoundException($"No delivery with id {id}.");
        var attempts = await db.LogEntries.AsNoTracking().Where(e => e.DeliveryId == id).OrderBy(e => e.Id)
            .Select(e => new AttemptView(e.Id, e.Attempt ?? 0, e.TimeUtc, e.Status, e.State.ToText(), e.Error, e.DurationMs)).ToListAsync(ct);
        return new DeliveryDetail(ToView(delivery, await caller.IsAdminAsync()), delivery.Message!.Payload, attempts);
    }

    /// <summary>Per target: the last delivery's state and the share delivered over the last 24 hours.</summary>
    public async Task<Dictionary<Guid, (string? LastState, double? SuccessRate)>> StatsAsync(string targetKind, IReadOnlyCollection<Guid> targetIds, CancellationToken ct = default)
    {
        var since = time.GetUtcNow().UtcDateTime.AddHours(-24);
        var rows = await db.Deliveries.AsNoTracking()
            .Where(d => d.TargetKind == targetKind && targetIds.Contains(d.TargetId))
            .Select(d => new { d.TargetId, d.State, d.CreatedUtc })
            .ToListAsync(ct);
        return targetIds.ToDictionary(id => id, id =>
        {
            var mine = rows.Where(r => r.TargetId == id).ToList();
            var last = mine.OrderByDescending(r => r.CreatedUtc).FirstOrDefault()?.State;
            var recent = mine.Where(r => r.CreatedUtc >= since && r.State is DeliveryStates.Delivered or DeliveryStates.Failed).ToList();
            double? rate = recent.Count == 0 ? null : recent.Count(r => r.State == DeliveryStates.Delivered) / (double)recent.Count;
            return (last, rate);
        });
    }

    /// <summary>
    /// A URL may carry a credential (<c>?api_key=</c>, <c>user:pass@</c>): only administrators see it whole; others
    /// get it without user-info and with token-like parameters masked, in the URL and in a subscription's name.
    /// </summary>
    public static DeliveryView ToView(Delivery d, bool reveal) => new(d.Id, d.MessageId, d.Message?.EventType ?? "", d.TargetKind, d.TargetId,
        reveal ? d.TargetName : Redaction.Label(d.TargetName), reveal ? d.Url : Redaction.Url(d.Url), d.State, d.AttemptCount,
        d.NextAttemptUtc, d.LastStatus, d.LastError, d.CreatedUtc, d.UpdatedUtc);
}
