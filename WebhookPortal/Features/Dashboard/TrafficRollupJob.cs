using Hangfire;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Features.Dashboard;

/// <summary>
/// Every minute, counts the log entries of each whole hour not yet rolled up into <see cref="TrafficRollup"/> rows (one
/// GROUP BY over the hours since the newest roll-up), and drops roll-ups older than <see cref="Keep"/>. An hour is
/// rolled up only <see cref="Margin"/> after it ended: a delivery attempt's entry is written when the attempt ends
/// but carries its start time. Two portals running it at once insert the same rows; the key lets the second do nothing.
/// </summary>
public sealed class TrafficRollupJob(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, ILogger<TrafficRollupJob> logger)
{
    public const string RecurringJobId = "traffic-rollup";

    /// <summary>A day more than the dashboard's longest range.</summary>
    public static readonly TimeSpan Keep = TimeSpan.FromDays(8);

    /// <summary>Longer than any attempt (connect and read timeouts) between an entry's time and its commit.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);

    /// <summary>Rolls up the hours that ended at least <see cref="Margin"/> ago; answers how many roll-up rows it wrote.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 120)]
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var until = Hour(now - Margin);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.TrafficRollups.Where(r => r.HourUtc < Hour(now - Keep)).ExecuteDeleteAsync(ct);

        var from = await RolledUpUntilAsync(db, ct) ?? (await db.LogEntries.MinAsync(e => (DateTime?)e.TimeUtc, ct) is { } oldest ? Hour(oldest) : until);
        if (from < Hour(now - Keep))
        {
            from = Hour(now - Keep);
        }

        if (from >= until)
        {
            return 0;
        }

        var written = await db.Database.ExecuteSqlAsync(InsertSql(db.Database.IsSqlite(), from, until), ct);
        logger.LogDebug("Rolled up the log's traffic from {From:u} to {Until:u}: {Rows} rows.", from, until, written);
        return written;
    }

    /// <summary>The end of the newest rolled-up hour: the log is counted directly from there on. Null when nothing is rolled up.</summary>
    public static async Task<DateTime?> RolledUpUntilAsync(PortalDbContext db, CancellationToken ct) =>
        await db.TrafficRollups.MaxAsync(r => (DateTime?)r.HourUtc, ct) is { } newest ? DateTime.SpecifyKind(newest, DateTimeKind.Utc).AddHours(1) : null;

    private static DateTime Hour(DateTime utc) => new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerHour), DateTimeKind.Utc);

    /// <summary>
    /// One INSERT … SELECT … GROUP BY hour per dialect. SQLite keeps times as text ("yyyy-MM-dd HH:mm:ss…", as EF Core
    /// writes them), PostgreSQL as timestamptz (truncated through the epoch, so the session's time zone plays no part).
    /// </summary>
    private static FormattableString InsertSql(bool sqlite, DateTime from, DateTime until)
    {
        var hour = sqlite
            ? "strftime('%Y-%m-%d %H:00:00', \"TimeUtc\")"
            : "to_timestamp(floor(extract(epoch FROM \"TimeUtc\") / 3600) * 3600)";
        return System.Runtime.CompilerServices.FormattableStringFactory.Create(
            $$"""
            INSERT INTO "TrafficRollups" ("HourUtc", "Direction", "Name", "State", "Count")
            SELECT {{hour}}, "Direction", "Name", "State", COUNT(*)
            FROM "LogEntries"
            WHERE "TimeUtc" >= {0} AND "TimeUtc" < {1}
            GROUP BY 1, "Direction", "Name", "State"
            ON CONFLICT DO NOTHING
            """,
            from, until);
    }
}
