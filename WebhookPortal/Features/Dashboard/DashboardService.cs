using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Dashboard;

/// <summary>
/// The home page's figures. Every count is an aggregate computed by the database (GROUP BY time bucket, state and
/// name); no log entry or delivery is loaded to be counted. The bucket of a time is its whole seconds since the Unix
/// epoch minus the window's start, divided by the bucket's width: one small SQL per dialect, since EF Core translates
/// no date arithmetic that both SQLite and PostgreSQL share.
/// </summary>
public sealed class DashboardService(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time)
{
    /// <summary>How many failing webhooks and recent errors the dashboard lists.</summary>
    public const int TopWebhooks = 5;
    public const int RecentErrorCount = 8;

    public async Task<DashboardSummaryView> GetSummaryAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return new(
            await db.Integrations.CountAsync(ct),
            await db.Users.CountAsync(ct),
            await db.ApiKeys.CountAsync(ct),
            db.Database.IsSqlite() ? "SQLite" : "PostgreSQL");
    }

    /// <summary>The dashboard for "1h", "24h" or "7d"; anything else is a validation error (400 by API).</summary>
    public Task<DashboardView> GetAsync(string? range, CancellationToken ct = default) =>
        DashboardRange.TryParse(range ?? DashboardRange.Default.Key, out var parsed)
            ? GetAsync(parsed, ct)
            : throw new PortalValidationException("range", $"'{range}' is not a range: use {string.Join(", ", DashboardRange.All.Select(r => r.Key))}.");

    public async Task<DashboardView> GetAsync(DashboardRange range, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var (from, to) = range.Window(now);
        var count = range.BucketCount;
        var buckets = Enumerable.Range(0, count).Select(i => from + (range.Bucket * i)).ToList();

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sqlite = db.Database.IsSqlite();

        // Requests and attempts: per bucket, direction, name and state. Whole hours already rolled up are added from
        // TrafficRollups (a few rows per hour); the rest of the window is grouped from the log itself.
        var inbound = new Dictionary<string, (long[] Success, long[] Error)>(StringComparer.Ordinal);
        var attempts = (Success: new long[count], Error: new long[count]);
        void Add(long bucket, string direction, string name, string state, long n)
        {
            if (bucket < 0 || bucket >= count)
            {
                return;
            }

            var error = state == LogState.Error.ToText();
            if (direction == LogDirection.Inbound.ToText())
            {
                if (!inbound.TryGetValue(name, out var series))
                {
                    inbound[name] = series = (new long[count], new long[count]);
                }

                (error ? series.Error : series.Success)[bucket] += n;
            }
            else
            {
                (error ? attempts.Error : attempts.Success)[bucket] += n;
            }
        }

        var logFrom = from;
        if (range.Bucket.Ticks % TimeSpan.TicksPerHour == 0 && await TrafficRollupJob.RolledUpUntilAsync(db, ct) is { } rolledUntil && rolledUntil > from)
        {
            logFrom = rolledUntil < to ? rolledUntil : to;
            foreach (var hour in await db.TrafficRollups.AsNoTracking().Where(r => r.HourUtc >= from && r.HourUtc < logFrom).ToListAsync(ct))
            {
                Add((DateTime.SpecifyKind(hour.HourUtc, DateTimeKind.Utc) - from).Ticks / range.Bucket.Ticks, hour.Direction, hour.Name, hour.State, hour.Count);
            }
        }

        if (logFrom < to)
        {
            foreach (var row in await db.Database.SqlQuery<TrafficRow>(TrafficSql(sqlite, from, logFrom, to, range.Bucket)).ToListAsync(ct))
            {
                Add(row.Bucket, row.Direction, row.Name, row.State, row.Count);
            }
        }

        var listeners = inbound
            .Select(p => new ListenerTraffic(p.Key, new DashboardTraffic(p.Value.Success, p.Value.Error)))
            .OrderByDescending(l => l.Traffic.Total).ThenBy(l => l.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var requests = new DashboardTraffic(
            Enumerable.Range(0, count).Select(i => listeners.Sum(l => l.Traffic.Success[i])).ToList(),
            Enumerable.Range(0, count).Select(i => listeners.Sum(l => l.Traffic.Error[i])).ToList());

        // Deliveries created in each bucket, by their state now.
        var delivered = new long[count];
        var retrying = new long[count];
        var failed = new long[count];
        long held = 0, cancelled = 0;
        foreach (var row in await db.Database.SqlQuery<StateRow>(DeliveriesSql(sqlite, from, to, range.Bucket)).ToListAsync(ct))
        {
            if (row.Bucket < 0 || row.Bucket >= count || !StoredEnum<DeliveryState>.TryParse(row.State, out var state))
            {
                continue;
            }

            switch (state)
            {
                case DeliveryState.Delivered: delivered[row.Bucket] += row.Count; break;
                case DeliveryState.Pending: retrying[row.Bucket] += row.Count; break;
                case DeliveryState.Failed: failed[row.Bucket] += row.Count; break;
                case DeliveryState.Held: held += row.Count; break;
                case DeliveryState.Cancelled: cancelled += row.Count; break;
            }
        }

        return new DashboardView(
            range.Key, from, to, (int)range.Bucket.TotalMinutes, buckets, now,
            requests, listeners, new DashboardTraffic(attempts.Success, attempts.Error),
            new DashboardDeliveries(delivered, retrying, failed, held, cancelled),
            await BacklogAsync(db, now, ct),
            await FailingWebhooksAsync(db, from, to, ct),
            await RecentErrorsAsync(db, from, to, ct));
    }

    /// <summary>Due, scheduled and held deliveries (the index on State, NextAttemptUtc answers each).</summary>
    private static async Task<DashboardBacklog> BacklogAsync(PortalDbContext db, DateTime now, CancellationToken ct)
    {
        var due = db.Deliveries.Where(d => d.State == DeliveryState.Pending && d.NextAttemptUtc <= now);
        return new DashboardBacklog(
            await due.LongCountAsync(ct),
            await due.MinAsync(d => (DateTime?)d.NextAttemptUtc, ct),
            await db.Deliveries.LongCountAsync(d => d.State == DeliveryState.Pending && d.NextAttemptUtc > now, ct),
            await db.Deliveries.LongCountAsync(d => d.State == DeliveryState.Held, ct),
            await db.Webhooks.LongCountAsync(w => !w.Enabled || w.FailingSinceUtc != null, ct));
    }

    /// <summary>
    /// The webhooks with the most failed and retrying deliveries created in the window (grouped in the database), then
    /// those failing or disabled now without any, up to <see cref="TopWebhooks"/>, each with its health.
    /// </summary>
    private static async Task<IReadOnlyList<FailingWebhook>> FailingWebhooksAsync(PortalDbContext db, DateTime from, DateTime to, CancellationToken ct)
    {
        var ranked = (await db.Database.SqlQuery<TargetRow>(FailingSql(from, to)).ToListAsync(ct))
            .OrderByDescending(r => r.Failed + r.Retrying).ThenBy(r => r.Id)
            .Take(TopWebhooks)
            .ToList();

        var ids = ranked.Select(r => r.Id).ToList();
        if (ids.Count < TopWebhooks)
        {
            ids.AddRange(await db.Webhooks.AsNoTracking()
                .Where(w => (!w.Enabled || w.FailingSinceUtc != null) && !ids.Contains(w.Id))
                .OrderByDescending(w => w.FailingSinceUtc != null).ThenBy(w => w.Name)
                .Select(w => w.Id).Take(TopWebhooks - ids.Count).ToListAsync(ct));
        }

        var hooks = await db.Webhooks.AsNoTracking().Include(w => w.Integration).Where(w => ids.Contains(w.Id)).ToDictionaryAsync(w => w.Id, ct);
        var list = new List<FailingWebhook>();
        foreach (var id in ids)
        {
            if (!hooks.TryGetValue(id, out var hook))
            {
                continue; // deleted since
            }

            var counts = ranked.FirstOrDefault(r => r.Id == id);
            var health = hook.Health;
            list.Add(new FailingWebhook(id, hook.Name, hook.Integration?.Name, health.State, health.Since, health.Reason, counts?.Failed ?? 0, counts?.Retrying ?? 0, counts?.Delivered ?? 0));
        }

        return list;
    }

    /// <summary>The newest errors of the window: the index on TimeUtc, read backwards, stops at the first few.</summary>
    private static async Task<IReadOnlyList<RecentError>> RecentErrorsAsync(PortalDbContext db, DateTime from, DateTime to, CancellationToken ct) =>
        await db.LogEntries.AsNoTracking()
            .Where(e => e.State == LogState.Error && e.TimeUtc >= from && e.TimeUtc < to)
            .OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id)
            .Take(RecentErrorCount)
            .Select(e => new RecentError(e.Id, e.TimeUtc, e.Direction, e.Name, e.Status, e.Error))
            .ToListAsync(ct);

    /// <summary>Whole seconds since the Unix epoch of a stored UTC time, per dialect (SQLite keeps times as ISO text).</summary>
    private static string EpochSeconds(bool sqlite, string column) =>
        sqlite ? $"CAST(strftime('%s', \"{column}\") AS INTEGER)" : $"CAST(floor(extract(epoch FROM \"{column}\")) AS bigint)";

    /// <summary>Log entries of [from, to) grouped by bucket (counted from <paramref name="origin"/>, the window's start), direction, name and state.</summary>
    internal static FormattableString TrafficSql(bool sqlite, DateTime origin, DateTime from, DateTime to, TimeSpan bucket) => FormattableStringFactory.Create(
        $$"""
        SELECT ({{EpochSeconds(sqlite, "TimeUtc")}} - {0}) / {1} AS "Bucket", "Direction", "Name", "State", COUNT(*) AS "Count"
        FROM "LogEntries"
        WHERE "TimeUtc" >= {2} AND "TimeUtc" < {3}
        GROUP BY 1, "Direction", "Name", "State"
        """,
        new DateTimeOffset(origin).ToUnixTimeSeconds(), (long)bucket.TotalSeconds, from, to);

    internal static FormattableString DeliveriesSql(bool sqlite, DateTime from, DateTime to, TimeSpan bucket) => FormattableStringFactory.Create(
        $$"""
        SELECT ({{EpochSeconds(sqlite, "CreatedUtc")}} - {0}) / {1} AS "Bucket", "State", COUNT(*) AS "Count"
        FROM "Deliveries"
        WHERE "CreatedUtc" >= {2} AND "CreatedUtc" < {3}
        GROUP BY 1, "State"
        """,
        new DateTimeOffset(from).ToUnixTimeSeconds(), (long)bucket.TotalSeconds, from, to);

    /// <summary>
    /// Per webhook, its deliveries created in the window that failed, are being retried (pending after at least one
    /// attempt) or were delivered; only webhooks with failures. <c>"TargetKind" || ''</c> keeps SQLite off the index on
    /// (TargetKind, TargetId, State), which would visit every delivery ever made in random order (≈ 1 s at 200,000).
    /// </summary>
    internal static FormattableString FailingSql(DateTime from, DateTime to) => FormattableStringFactory.Create(
        """
        SELECT "TargetId" AS "Id",
               COUNT(CASE WHEN "State" = 'failed' THEN 1 END) AS "Failed",
               COUNT(CASE WHEN "State" = 'pending' AND "AttemptCount" > 0 THEN 1 END) AS "Retrying",
               COUNT(CASE WHEN "State" = 'delivered' THEN 1 END) AS "Delivered"
        FROM "Deliveries"
        WHERE "TargetKind" || '' = 'webhook' AND "CreatedUtc" >= {0} AND "CreatedUtc" < {1}
        GROUP BY "TargetId"
        HAVING COUNT(CASE WHEN "State" IN ('failed', 'pending') AND ("State" = 'failed' OR "AttemptCount" > 0) THEN 1 END) > 0
        """,
        from, to);

    /// <summary>One webhook's counts.</summary>
    internal sealed class TargetRow
    {
        public Guid Id { get; set; }

        public long Failed { get; set; }

        public long Retrying { get; set; }

        public long Delivered { get; set; }
    }

    /// <summary>One group of log entries (columns as the SQL names them).</summary>
    internal sealed class TrafficRow
    {
        public long Bucket { get; set; }

        public string Direction { get; set; } = "";

        public string Name { get; set; } = "";

        public string State { get; set; } = "";

        public long Count { get; set; }
    }

    /// <summary>One group of deliveries.</summary>
    internal sealed class StateRow
    {
        public long Bucket { get; set; }

        public string State { get; set; } = "";

        public long Count { get; set; }
    }
}
