using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// Deletes root rows (with their children) older than each listener's retention, in batches, and prunes
/// the request log by age and by a per-source cap. Runs as a Hangfire recurring job, and as a job an administrator starts
/// (<see cref="RetentionRuns"/>), which shows its progress.
/// </summary>
public sealed class RetentionService(PortalDbContext db, TimeProvider time, IOptions<RetentionOptions> options, IOptions<LogOptions> logOptions, ILogger<RetentionService> logger,
    WebhookPortal.Features.Deliveries.DeliveryRetention deliveryRetention,
    IOptions<WebhookPortal.Features.Audit.AuditOptions>? auditOptions = null, WebhookPortal.Features.Audit.AuditLog? audit = null)
{
    public const string RecurringJobId = "retention";

    // As a recurring job it runs on one portal at a time (Hangfire's distributed lock, in PostgreSQL with several portals).
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public Task<RetentionReport> RunAsync(CancellationToken ct = default) => RunCoreAsync(null, null, null, ct);

    /// <summary>
    /// A run an administrator asked for (<see cref="RetentionRuns"/>, as the job <see cref="RetentionRunJob"/>): it reports its
    /// progress (0–99) after each listener and step, and is always recorded in the audit trail as done by <paramref name="requestedBy"/>.
    /// </summary>
    public Task<RetentionReport> RunRequestedAsync(Guid jobId, WebhookPortal.Features.Audit.AuditActor requestedBy, Func<int, Task> progress, CancellationToken ct = default) =>
        RunCoreAsync(jobId, requestedBy, progress, ct);

    private async Task<RetentionReport> RunCoreAsync(Guid? jobId, WebhookPortal.Features.Audit.AuditActor? requestedBy, Func<int, Task>? progress, CancellationToken ct)
    {
        var report = progress ?? (_ => Task.CompletedTask);
        var now = time.GetUtcNow().UtcDateTime;
        var byListener = new Dictionary<string, int>();
        var dialect = SqlDialect.For(db.Database.IsSqlite());
        var listeners = await db.Listeners.AsNoTracking().Where(l => l.RetentionDays != null && l.SchemaJson != null).ToListAsync(ct);
        await report(5);

        for (var i = 0; i < listeners.Count; i++)
        {
            var listener = listeners[i];
            var schema = listener.GetSchema()!;
            var cutoff = now.AddDays(-listener.RetentionDays!.Value).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var total = 0;
            while (true)
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                var store = new RecordWriter(db.Database.GetDbConnection(), transaction.GetDbTransaction(), dialect, listener.Id, schema);
                var deleted = await store.DeleteOlderThanAsync(cutoff, options.Value.BatchSize, ct);
                await transaction.CommitAsync(ct);
                total += deleted;
                if (deleted < options.Value.BatchSize)
                {
                    break;
                }
            }

            if (total > 0)
            {
                byListener[listener.Name] = total;
            }

            // Listeners' records are most of the work: 5–70 %, listener by listener.
            await report(5 + 65 * (i + 1) / listeners.Count);
        }

        var logsDeleted = await PruneLogsAsync(now, ct);
        await report(75);
        // Delivery ids past their listener's idempotency window answer nothing any more.
        var nowMs = new DateTimeOffset(now).ToUnixTimeMilliseconds();
        var keysDeleted = await PruneIdempotencyKeysAsync(nowMs, ct);
        await report(80);
        var outbound = await deliveryRetention.PruneAsync(db, options.Value.BatchSize, ct);
        await report(90);
        var auditDeleted = await PruneAuditAsync(now, ct);
        await report(95);
        var result = new RetentionReport(byListener.Values.Sum(), logsDeleted, byListener, outbound.DeliveriesDeleted, outbound.MessagesDeleted, outbound.PortalEventsDeleted)
        {
            IdempotencyKeysDeleted = keysDeleted,
            AuditEntriesDeleted = auditDeleted,
        };

        // A run someone asked for is always recorded; the hourly job only when it deleted something.
        var byPerson = requestedBy is not null;
        if (audit is not null && (byPerson || result.RecordsDeleted + result.LogEntriesDeleted + result.DeliveriesDeleted + result.MessagesDeleted + auditDeleted > 0))
        {
            await audit.RecordAsync("retention.run", WebhookPortal.Features.Audit.AuditResources.Retention, jobId?.ToString(), byPerson ? "run now" : "scheduled",
                $"Retention deleted {result.RecordsDeleted} records, {result.LogEntriesDeleted} log entries, {result.DeliveriesDeleted} deliveries, {result.MessagesDeleted} messages and {auditDeleted} audit entries",
                result, actor: requestedBy ?? WebhookPortal.Features.Audit.AuditActor.System("retention job"), ct: ct);
        }
        logger.LogInformation("Retention deleted {Records} records, {Logs} log entries, {Deliveries} deliveries, {Messages} messages and {PortalEvents} portal events.",
            result.RecordsDeleted, result.LogEntriesDeleted, result.DeliveriesDeleted, result.MessagesDeleted, result.PortalEventsDeleted);
        return result;
    }

    /// <summary>
    /// Audit entries older than Audit:RetentionDays go in batches, oldest first by (TimeUtc, Id), so no delete holds a long
    /// lock. As for the log (<see cref="DeleteLogEntriesAsync"/>), a batch is the start of the TimeUtc index up to its last
    /// entry: ordered by Id with `TimeUtc &lt; cutoff`, SQLite sorted, and each delete read, every expired entry per batch.
    /// </summary>
    private async Task<int> PruneAuditAsync(DateTime now, CancellationToken ct)
    {
        if (auditOptions is null)
        {
            return 0;
        }

        var cutoff = now.AddDays(-auditOptions.Value.RetentionDays);
        var batch = options.Value.BatchSize;
        var deleted = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var last = await db.AuditEntries.Where(e => e.TimeUtc < cutoff).OrderBy(e => e.TimeUtc).ThenBy(e => e.Id).Take(batch)
                .OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id).Select(e => new { e.TimeUtc, e.Id }).FirstOrDefaultAsync(ct);
            if (last is null)
            {
                return deleted;
            }

            var (time, id) = (last.TimeUtc, last.Id);
            var removed = await db.AuditEntries.Where(e => e.TimeUtc <= time && (e.TimeUtc < time || e.Id <= id)).ExecuteDeleteAsync(ct);
            deleted += removed;
            if (removed < batch)
            {
                return deleted;
            }
        }
    }

    /// <summary>
    /// Expired delivery ids go in batches, earliest expiry first: each batch is one range of the ExpiresAtMs index and one
    /// short statement, so SQLite's write lock is never held for long. Ids expiring in the same millisecond as the
    /// batch's last go with it (no key to split them by).
    /// </summary>
    private async Task<int> PruneIdempotencyKeysAsync(long nowMs, CancellationToken ct)
    {
        var batch = options.Value.BatchSize;
        var deleted = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var last = await db.IdempotencyKeys.Where(k => k.ExpiresAtMs <= nowMs).OrderBy(k => k.ExpiresAtMs).Take(batch)
                .OrderByDescending(k => k.ExpiresAtMs).Select(k => (long?)k.ExpiresAtMs).FirstOrDefaultAsync(ct);
            if (last is not { } until)
            {
                return deleted;
            }

            var removed = await db.IdempotencyKeys.Where(k => k.ExpiresAtMs <= until).ExecuteDeleteAsync(ct);
            deleted += removed;
            if (removed < batch)
            {
                return deleted;
            }
        }
    }

    private async Task<int> PruneLogsAsync(DateTime now, CancellationToken ct)
    {
        var cutoff = now.AddDays(-logOptions.Value.RetentionDays);
        var deleted = await DeleteLogEntriesAsync(e => e.TimeUtc < cutoff, filterOnDelete: false, ct);

        var cap = logOptions.Value.MaxEntriesPerSource;
        var crowded = await db.LogEntries.Where(e => e.SourceId != null)
            .GroupBy(e => e.SourceId)
            .Where(g => g.Count() > cap)
            .Select(g => g.Key)
            .ToListAsync(ct);
        foreach (var source in crowded)
        {
            // The newest `cap` entries stay; everything older than the cap-th newest goes.
            var boundary = await db.LogEntries.Where(e => e.SourceId == source).OrderByDescending(e => e.Id).Skip(cap - 1).Select(e => e.Id).FirstAsync(ct);
            deleted += await DeleteLogEntriesAsync(e => e.SourceId == source && e.Id < boundary, filterOnDelete: true, ct);
        }

        return deleted;
    }

    /// <summary>
    /// Deletes the entries <paramref name="which"/> selects in batches of Retention:BatchSize, oldest first by (TimeUtc, Id),
    /// one short statement each: on SQLite one delete of a whole month held the write lock for seconds and the receiver's
    /// group commit waited (issue 17). A batch is one range of an index ending in TimeUtc (SQLite appends the Id), read from
    /// its start, so each costs the same however much is left. The search index's delete trigger runs for every row as before.
    /// </summary>
    /// <param name="filterOnDelete">
    /// False when everything up to a batch's last entry is selected anyway (age): then the delete is only the range up to
    /// it, and SQLite cannot choose the wider range `TimeUtc &lt; cutoff` instead.
    /// </param>
    private async Task<int> DeleteLogEntriesAsync(System.Linq.Expressions.Expression<Func<LogEntry, bool>> which, bool filterOnDelete, CancellationToken ct)
    {
        var batch = options.Value.BatchSize;
        var deleted = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var last = await db.LogEntries.Where(which).OrderBy(e => e.TimeUtc).ThenBy(e => e.Id).Take(batch)
                .OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id).Select(e => new { e.TimeUtc, e.Id }).FirstOrDefaultAsync(ct);
            if (last is null)
            {
                return deleted;
            }

            // The selected entries up to the batch's last (TimeUtc, Id): exactly the batch; `TimeUtc <= time` bounds the range.
            var (time, id) = (last.TimeUtc, last.Id);
            var upTo = db.LogEntries.Where(e => e.TimeUtc <= time && (e.TimeUtc < time || e.Id <= id));
            var removed = await (filterOnDelete ? upTo.Where(which) : upTo).ExecuteDeleteAsync(ct);
            deleted += removed;
            if (removed < batch)
            {
                return deleted;
            }
        }
    }
}
