using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Audit;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Deliveries;

/// <summary>What support staff read and do with deliveries (list, detail, stats, redeliver); a context per operation, as Blazor circuits need.</summary>
public sealed class DeliveryService(IDbContextFactory<PortalDbContext> dbFactory, DeliveryOutbox outbox, TimeProvider time, ILogger<DeliveryService> logger, WebhookPortal.Infrastructure.Auth.PortalCaller caller,
    WebhookPortal.Features.Audit.AuditLog? audit = null)
{
    /// <summary>Sends the message of a delivery again to the same target, as a new delivery.</summary>
    public async Task<DeliveryView> RedeliverAsync(Guid deliveryId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Support may redeliver (SPEC: "Support may read and redeliver/replay"); who did it is recorded.
        var user = await caller.RequireDeliveryActionAsync("redeliver messages");
        var original = await db.Deliveries.AsNoTracking().Include(d => d.Message).FirstOrDefaultAsync(d => d.Id == deliveryId, ct)
            ?? throw new NotFoundException($"No delivery with id {deliveryId}.");
        if (original.State is DeliveryState.Pending or DeliveryState.Held)
        {
            throw new ConflictException(original.State == DeliveryState.Held
                ? "The delivery is held while its webhook is disabled; enabling the webhook sends it."
                : "The delivery is still pending; it will be attempted again on its own.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var copy = DeliveryOutbox.NewDelivery(original.MessageId, new DeliveryRequest(original.TargetKind, original.TargetId, original.TargetName, original.Url, original.Method), now);
        db.Deliveries.Add(copy);
        AuditLog.Stage(db, "delivery.redelivered", AuditResources.Delivery, deliveryId.ToString(), original.TargetName,
            $"Redelivered {original.Message?.EventType} to '{original.TargetName}' as delivery {copy.Id}",
            new { deliveryId, newDeliveryId = copy.Id, original.TargetKind, original.TargetId, eventType = original.Message?.EventType, originalState = original.State.ToString() });
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Delivery {DeliveryId} redelivered as {NewDeliveryId} by {User}.", deliveryId, copy.Id, user.Identity?.Name);
        outbox.Dispatch([copy]);
        copy.Message = original.Message;
        return ToView(copy, WebhookPortal.Infrastructure.Auth.PortalCaller.IsAdmin(user));
    }

    /// <summary>At most this many deliveries are redelivered by one bulk request or recovery.</summary>
    public const int MaxBulk = 10_000;

    /// <summary>
    /// Redelivers the finished deliveries among <paramref name="deliveryIds"/> (pending ones go on by themselves), one new
    /// delivery per message and target; answers how many were queued and the job that follows them
    /// (<see cref="GetRedeliveryAsync"/>). Bad or unknown ids are a 400 or 404 and nothing is stored.
    /// </summary>
    public async Task<BulkRedeliveryResponse> RedeliverManyAsync(IReadOnlyCollection<Guid> deliveryIds, CancellationToken ct = default)
    {
        var user = await caller.RequireDeliveryActionAsync("redeliver messages");
        if (deliveryIds.Count is 0 or > 500)
        {
            throw new PortalValidationException("ids", "Send between 1 and 500 delivery ids.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = deliveryIds.Distinct().ToList();
        var found = await db.Deliveries.AsNoTracking().Where(d => ids.Contains(d.Id)).ToListAsync(ct);
        if (found.Count != ids.Count)
        {
            throw new NotFoundException($"No delivery with id {ids.Except(found.Select(d => d.Id)).First()}.");
        }

        var job = await QueueCopiesAsync(db, user, found.Where(d => d.State is not (DeliveryState.Pending or DeliveryState.Held)),
            "Nothing was sent again: the chosen deliveries are pending, or were sent again already.", ct);
        logger.LogInformation("{Count} deliveries redelivered by {User} (job {JobId}).", job.Count, user.Identity?.Name, job.JobId);
        if (audit is not null)
        {
            await audit.RecordAsync("delivery.redelivered_bulk", AuditResources.Delivery, null, null, $"Redelivered {job.Count} of {ids.Count} selected deliveries",
                new { deliveryIds = ids, queued = job.Count, jobId = job.JobId }, ct: ct);
        }

        return job;
    }

    /// <summary>
    /// Svix's "recover": every message that failed for the webhook since <paramref name="since"/> is sent again (once per
    /// message, and not while a newer delivery of it is pending or delivered); answers how many were queued, and the job.
    /// </summary>
    public async Task<BulkRedeliveryResponse> RecoverAsync(DeliveryTargetKind targetKind, Guid targetId, DateTime since, CancellationToken ct = default)
    {
        var user = await caller.RequireDeliveryActionAsync("recover failed deliveries");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var failed = await db.Deliveries.AsNoTracking()
            .Where(d => d.TargetKind == targetKind && d.TargetId == targetId && d.State == DeliveryState.Failed && d.CreatedUtc >= since)
            .OrderBy(d => d.CreatedUtc).Take(MaxBulk).ToListAsync(ct);
        var job = await QueueCopiesAsync(db, user, failed, $"Nothing was sent again: no message failed since {since:yyyy-MM-dd HH:mm} UTC that is not pending or delivered again.", ct);
        logger.LogInformation("{Count} failed deliveries to {TargetId} since {Since:u} recovered by {User} (job {JobId}).", job.Count, targetId, since, user.Identity?.Name, job.JobId);
        if (audit is not null)
        {
            await audit.RecordAsync("delivery.recovered", AuditResources.Delivery, targetId.ToString(), failed.FirstOrDefault()?.TargetName,
                $"Recovered {job.Count} failed deliveries since {since:u}", new { targetKind, targetId, since, queued = job.Count, jobId = job.JobId }, ct: ct);
        }

        return job;
    }

    /// <summary>A bulk redelivery's or recovery's progress, counted from the deliveries it created; 404 for any other id.</summary>
    public async Task<RedeliveryView> GetRedeliveryAsync(Guid jobId, CancellationToken ct = default)
    {
        await caller.RequireStaffAsync("read redeliveries");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.Kind == RedeliveryJobs.Kind, ct)
            ?? throw new NotFoundException($"No redelivery with id {jobId}.");
        return (await RedeliveryJobs.ViewsAsync(db, [job], time.GetUtcNow().UtcDateTime, ct))[0];
    }

    // One new pending delivery per (message, target) of the given finished deliveries, skipping messages whose newest
    // delivery to that target is pending or delivered already; staged with the job row that follows them, in one
    // transaction, then dispatched.
    private async Task<BulkRedeliveryResponse> QueueCopiesAsync(PortalDbContext db, System.Security.Claims.ClaimsPrincipal user, IEnumerable<Delivery> finished, string nothingSummary, CancellationToken ct)
    {
        var candidates = finished.GroupBy(d => (d.MessageId, d.TargetKind, d.TargetId)).Select(g => g.OrderByDescending(d => d.CreatedUtc).First()).ToList();
        var now = time.GetUtcNow().UtcDateTime;
        List<Delivery> copies = [];
        if (candidates.Count > 0)
        {
            var messageIds = candidates.Select(c => c.MessageId).Distinct().ToList();
            var settled = (await db.Deliveries.AsNoTracking()
                    .Where(d => messageIds.Contains(d.MessageId) && (d.State == DeliveryState.Pending || d.State == DeliveryState.Held || d.State == DeliveryState.Delivered))
                    .Select(d => new { d.MessageId, d.TargetKind, d.TargetId })
                    .ToListAsync(ct))
                .Select(d => (d.MessageId, d.TargetKind, d.TargetId)).ToHashSet();
            copies = candidates.Where(c => !settled.Contains((c.MessageId, c.TargetKind, c.TargetId)))
                .Select(c => DeliveryOutbox.NewDelivery(c.MessageId, new DeliveryRequest(c.TargetKind, c.TargetId, c.TargetName, c.Url, c.Method), now))
                .ToList();
        }

        // Recorded even when nothing was queued: the page that asked still gets a job to show ("nothing was sent again").
        var job = RedeliveryJobs.NewJob(user, now, copies.Count, nothingSummary);
        foreach (var copy in copies)
        {
            copy.JobId = job.Id;
        }

        db.Jobs.Add(job);
        db.Deliveries.AddRange(copies);
        await db.SaveChangesAsync(ct);
        outbox.Dispatch(copies);
        return new BulkRedeliveryResponse(copies.Count, job.Id, job.Status);
    }

    /// <summary>
    /// "Retry now" for a pending delivery: its next attempt is due at once instead of at its scheduled time. The retry
    /// schedule goes on from there; a finished delivery is redelivered instead, and one being attempted right now is left to it.
    /// </summary>
    public async Task<DeliveryView> RetryNowAsync(Guid deliveryId, CancellationToken ct = default)
    {
        var user = await caller.RequireDeliveryActionAsync("retry deliveries");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var moved = await db.Deliveries
            .Where(d => d.Id == deliveryId && d.State == DeliveryState.Pending && (d.LeaseUntilUtc == null || d.LeaseUntilUtc < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptUtc, now).SetProperty(d => d.UpdatedUtc, now), ct);
        var delivery = await db.Deliveries.AsNoTracking().Include(d => d.Message).FirstOrDefaultAsync(d => d.Id == deliveryId, ct)
            ?? throw new NotFoundException($"No delivery with id {deliveryId}.");
        if (moved == 0)
        {
            throw new ConflictException(delivery.State == DeliveryState.Pending
                ? "The delivery is being attempted right now."
                : $"The delivery is {delivery.State.ToText()}; redeliver it to send its message again.");
        }

        if (delivery.TargetKind == DeliveryTargetKind.Webhook)
        {
            // A person asked for this attempt now: behind a failing webhook's probe it would wait, so it becomes the probe.
            await db.Webhooks.Where(w => w.Id == delivery.TargetId && w.ProbeAfterUtc != null).ExecuteUpdateAsync(s => s.SetProperty(w => w.ProbeAfterUtc, (DateTime?)null), ct);
        }

        logger.LogInformation("Delivery {DeliveryId} retried now by {User}.", deliveryId, user.Identity?.Name);
        if (audit is not null)
        {
            await audit.RecordAsync("delivery.retried", AuditResources.Delivery, deliveryId.ToString(), delivery.TargetName, $"Retried now: {delivery.Message?.EventType} to '{delivery.TargetName}'",
                new { deliveryId, delivery.TargetKind, delivery.TargetId, eventType = delivery.Message?.EventType }, ct: ct);
        }
        outbox.Dispatch([delivery]);
        return ToView(delivery, WebhookPortal.Infrastructure.Auth.PortalCaller.IsAdmin(user));
    }

    public async Task<int> CountPendingAsync(DeliveryTargetKind targetKind, Guid targetId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await DeliveryOutbox.CountPendingAsync(db, targetKind, targetId, ct);
    }

    public async Task<IReadOnlyList<DeliveryView>> ListAsync(DeliveryTargetKind? targetKind, Guid? targetId, int take = 100, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
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

    /// <summary>One target's deliveries a page at a time (newest first), optionally only those in one state: the webhook page's table.</summary>
    public Task<DeliveriesPage> PageAsync(DeliveryTargetKind targetKind, Guid targetId, DeliveryState? state, int page, int pageSize, CancellationToken ct = default) =>
        SearchAsync(new DeliveryQuery(targetKind, targetId, state), page, pageSize, ct);

    /// <summary>Deliveries a page at a time (newest first) by target, state and creation time: the deliveries page and the API.</summary>
    public async Task<DeliveriesPage> SearchAsync(DeliveryQuery filter, int page, int pageSize, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (page < 1)
        {
            errors["page"] = ["The page starts at 1."];
        }

        if (pageSize is < 1 or > 500)
        {
            errors["pageSize"] = ["The page size must be between 1 and 500."];
        }

        if (filter.FromUtc > filter.ToUtc)
        {
            errors["from"] = ["'from' must not be after 'to'."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Deliveries.AsNoTracking();
        if (filter.TargetKind is { } kind)
        {
            query = query.Where(d => d.TargetKind == kind);
        }

        if (filter.TargetId is { } targetId)
        {
            query = query.Where(d => d.TargetId == targetId);
        }

        if (filter.State is { } wanted)
        {
            query = query.Where(d => d.State == wanted);
        }

        if (filter.FromUtc is { } from)
        {
            query = query.Where(d => d.CreatedUtc >= from);
        }

        if (filter.ToUtc is { } to)
        {
            query = query.Where(d => d.CreatedUtc <= to);
        }

        var total = await query.LongCountAsync(ct);
        var rows = await query.Include(d => d.Message).OrderByDescending(d => d.CreatedUtc).ThenByDescending(d => d.Id)
            .Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        var reveal = await caller.IsAdminAsync();
        return new DeliveriesPage(total, rows.Select(d => ToView(d, reveal)).ToList());
    }

    public async Task<DeliveryDetailView> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var delivery = await db.Deliveries.AsNoTracking().Include(d => d.Message).FirstOrDefaultAsync(d => d.Id == id, ct)
            ?? throw new NotFoundException($"No delivery with id {id}.");
        var attempts = (await db.LogEntries.AsNoTracking().Where(e => e.DeliveryId == id).OrderBy(e => e.Id)
                .Select(e => new { e.Id, e.Attempt, e.TimeUtc, e.Status, e.State, e.Error, e.DurationMs, e.ResponseBody }).ToListAsync(ct))
            .Select(e => new AttemptView(e.Id, e.Attempt ?? 0, e.TimeUtc, e.Status, e.State, e.Error, e.DurationMs,
                string.IsNullOrEmpty(e.ResponseBody) ? null : e.ResponseBody.Length <= AttemptView.ExcerptLength ? e.ResponseBody : e.ResponseBody[..AttemptView.ExcerptLength] + "…"))
            .ToList();
        return new DeliveryDetailView(ToView(delivery, await caller.IsAdminAsync()), delivery.Message!.Payload, attempts);
    }

    /// <summary>Per target: the last delivery's state and the share delivered over the last 24 hours.</summary>
    public async Task<Dictionary<Guid, (DeliveryState? LastState, double? SuccessRate)>> StatsAsync(DeliveryTargetKind targetKind, IReadOnlyCollection<Guid> targetIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var since = time.GetUtcNow().UtcDateTime.AddHours(-24);
        var rows = await db.Deliveries.AsNoTracking()
            .Where(d => d.TargetKind == targetKind && targetIds.Contains(d.TargetId))
            .Select(d => new { d.TargetId, d.State, d.CreatedUtc })
            .ToListAsync(ct);
        return targetIds.ToDictionary(id => id, id =>
        {
            var mine = rows.Where(r => r.TargetId == id).ToList();
            var last = mine.OrderByDescending(r => r.CreatedUtc).FirstOrDefault()?.State;
            var recent = mine.Where(r => r.CreatedUtc >= since && r.State is DeliveryState.Delivered or DeliveryState.Failed).ToList();
            double? rate = recent.Count == 0 ? null : recent.Count(r => r.State == DeliveryState.Delivered) / (double)recent.Count;
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
