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
        var keysDeleted = await db.IdempotencyKeys.Where(k => k.ExpiresAtMs <= nowMs).ExecuteDeleteAsync(ct);
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

    /// <summary>Audit entries older than Audit:RetentionDays go in batches (oldest first), so no delete holds a long lock.</summary>
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
            var boundary = await db.AuditEntries.Where(e => e.TimeUtc < cutoff).OrderBy(e => e.Id).Select(e => (long?)e.Id).Skip(batch - 1).FirstOrDefaultAsync(ct);
            var removed = boundary is { } last
                ? await db.AuditEntries.Where(e => e.TimeUtc < cutoff && e.Id <= last).ExecuteDeleteAsync(ct)
                : await db.AuditEntries.Where(e => e.TimeUtc < cutoff).ExecuteDeleteAsync(ct);
            deleted += removed;
            if (boundary is null || removed == 0)
            {
                return deleted;
            }
        }
    }

    private async Task<int> PruneLogsAsync(DateTime now, CancellationToken ct)
    {
        var cutoff = now.AddDays(-logOptions.Value.RetentionDays);
        var deleted = await db.LogEntries.Where(e => e.TimeUtc < cutoff).ExecuteDeleteAsync(ct);

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
            deleted += await db.LogEntries.Where(e => e.SourceId == source && e.Id < boundary).ExecuteDeleteAsync(ct);
        }

        return deleted;
    }
}
