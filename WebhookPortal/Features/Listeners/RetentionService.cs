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
/// the request log by age and by a per-source cap. Runs as a Hangfire recurring job and on demand.
/// </summary>
public sealed class RetentionService(PortalDbContext db, TimeProvider time, IOptions<RetentionOptions> options, IOptions<LogOptions> logOptions, ILogger<RetentionService> logger,
    WebhookPortal.Infrastructure.Auth.PortalCaller caller, WebhookPortal.Features.Deliveries.DeliveryRetention deliveryRetention)
{
    public const string RecurringJobId = "retention";

    /// <summary>An administrator's "run now" (the recurring job calls <see cref="RunAsync"/> itself).</summary>
    public async Task<RetentionReport> RunNowAsync(CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("run retention");
        return await RunAsync(ct);
    }

    // As a recurring job it runs on one portal at a time (Hangfire's distributed lock, in PostgreSQL with several portals).
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task<RetentionReport> RunAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var byListener = new Dictionary<string, int>();
        var dialect = SqlDialect.For(db.Database.IsSqlite());
        var listeners = await db.Listeners.AsNoTracking().Where(l => l.RetentionDays != null && l.SchemaJson != null).ToListAsync(ct);

        foreach (var listener in listeners)
        {
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
        }

        var logsDeleted = await PruneLogsAsync(now, ct);
        // Delivery ids past their listener's idempotency window answer nothing any more.
        var nowMs = new DateTimeOffset(now).ToUnixTimeMilliseconds();
        var keysDeleted = await db.IdempotencyKeys.Where(k => k.ExpiresAtMs <= nowMs).ExecuteDeleteAsync(ct);
        var outbound = await deliveryRetention.PruneAsync(db, options.Value.BatchSize, ct);
        var report = new RetentionReport(byListener.Values.Sum(), logsDeleted, byListener, outbound.DeliveriesDeleted, outbound.MessagesDeleted, outbound.PortalEventsDeleted)
        {
            IdempotencyKeysDeleted = keysDeleted,
        };
        logger.LogInformation("Retention deleted {Records} records, {Logs} log entries, {Deliveries} deliveries, {Messages} messages and {PortalEvents} portal events.",
            report.RecordsDeleted, report.LogEntriesDeleted, report.DeliveriesDeleted, report.MessagesDeleted, report.PortalEventsDeleted);
        return report;
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
