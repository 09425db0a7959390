using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Logs;

/// <summary>
/// SQLite: adds the entries logged since the last time to the full-text index (LogSearch) and moves the mark
/// (LogSearchState.IndexedUntil) past them. The group commits (the receiver's writer, the delivery attempts' recorder)
/// index within their own transaction once Logs:SearchIndexBatch entries wait (<see cref="IndexWrittenAsync"/>); the
/// rest, and what other writers log, is indexed here, a thousand per transaction, in the background every
/// Logs:SearchIndexInterval and by every text search before it reads the index (so a search always sees every
/// committed entry). PostgreSQL computes its search vector as each row is written: nothing to do there.
/// </summary>
public static class LogSearchIndex
{
    // A chunk holds the write lock while its words are indexed (~20 µs an entry with 1 KB bodies): 5,000 held it for
    // 100–300 ms, the receiver's p99 (bench/RESULTS.md, issue 17).
    public const int ChunkSize = 1_000;

    /// <summary>
    /// Indexes everything above the mark; returns how many entries that was. With <paramref name="gate"/>, each chunk
    /// waits for its turn behind the group-commit writers instead of polling SQLite's lock, which they hold most of
    /// the time under load.
    /// </summary>
    public static async Task<int> CatchUpAsync(PortalDbContext db, CancellationToken ct, int chunkSize = ChunkSize, WriteGate? gate = null)
    {
        if (!db.Database.IsSqlite())
        {
            return 0;
        }

        var indexed = 0;
        while (true)
        {
            // Most searches find nothing new since the background run: a read, without taking the write lock.
            var pending = (await db.Database.SqlQueryRaw<int>(
                """SELECT EXISTS (SELECT 1 FROM "LogEntries" WHERE "Id" > (SELECT "IndexedUntil" FROM "LogSearchState")) AS "Value" """).ToListAsync(ct))[0];
            if (pending == 0)
            {
                return indexed;
            }

            // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the mark is read under the write lock, so two portals on
            // one file, or the background and a search, never index the same entries twice. One chunk holds the lock for
            // a few milliseconds, not for the whole backlog: the receiver's writer waits behind it.
            using var turn = await (gate ?? WriteGate.None).EnterAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var chunk = await IndexChunkAsync(db, chunkSize, ct);
            if (chunk == 0)
            {
                return indexed;
            }

            indexed += chunk;
            await transaction.CommitAsync(ct);
        }
    }

    // What a writer's batch indexes before its commit, once enough wait: its own entries and, beside them, a little of
    // any backlog.
    public const int WriterChunkSize = 1_024;

    /// <summary>
    /// SQLite: indexes, in a group commit's open transaction, the entries above the mark (up to
    /// <see cref="WriterChunkSize"/>) when at least <paramref name="batch"/> wait, so that each FTS5 segment holds a few
    /// hundred entries rather than one batch's few dozen, and the background indexer has almost nothing left to hold the
    /// write lock for. Returns how many it indexed. Nothing on PostgreSQL.
    /// </summary>
    public static async Task<int> IndexWrittenAsync(PortalDbContext db, int batch, CancellationToken ct)
    {
        if (!db.Database.IsSqlite())
        {
            return 0;
        }

        // Ids only grow (AUTOINCREMENT), so the distance from the mark to the last id is what waits (less any deleted).
        var waiting = (await db.Database.SqlQueryRaw<long>(
            """SELECT coalesce((SELECT max("Id") FROM "LogEntries"), 0) - (SELECT "IndexedUntil" FROM "LogSearchState") AS "Value" """).ToListAsync(ct))[0];
        return waiting >= batch ? await IndexChunkAsync(db, Math.Max(batch, WriterChunkSize), ct) : 0;
    }

    /// <summary>
    /// Indexes up to <paramref name="chunkSize"/> entries above the mark and moves the mark, in the caller's open
    /// transaction (which holds the write lock: SQLite has one writer, so the entries above the mark are all committed or
    /// the caller's own). The receiver's group commit calls it before each commit, so its entries are searchable
    /// when it answers and the words cost no second transaction that the writer would wait for.
    /// </summary>
    public static async Task<int> IndexChunkAsync(PortalDbContext db, int chunkSize, CancellationToken ct)
    {
        var until = (await db.Database.SqlQueryRaw<long?>(
            """
            SELECT max("Id") AS "Value" FROM (
                SELECT "Id" FROM "LogEntries" WHERE "Id" > (SELECT "IndexedUntil" FROM "LogSearchState") ORDER BY "Id" LIMIT {0})
            """, chunkSize).ToListAsync(ct))[0];
        if (until is null)
        {
            return 0;
        }

        var indexed = await db.Database.ExecuteSqlRawAsync(
            """
            INSERT INTO "LogSearch" (rowid, "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", "Tags")
            SELECT "Id", "Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody", 'd' || "Direction" || ' s' || "State" || ' n' || hex("Name")
            FROM "LogEntries" WHERE "Id" > (SELECT "IndexedUntil" FROM "LogSearchState") AND "Id" <= {0}
            """, [until.Value], ct);
        await db.Database.ExecuteSqlRawAsync("""UPDATE "LogSearchState" SET "IndexedUntil" = {0}""", [until.Value], ct);
        return indexed;
    }
}

/// <summary>Runs <see cref="LogSearchIndex.CatchUpAsync"/> every Logs:SearchIndexInterval while the portal runs on SQLite.</summary>
public sealed class LogSearchIndexer(IDbContextFactory<PortalDbContext> dbFactory, IOptions<LogOptions> options, ILogger<LogSearchIndexer> logger, WriteGate? gate = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SearchIndexInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                if (!db.Database.IsSqlite())
                {
                    return;
                }

                await LogSearchIndex.CatchUpAsync(db, stoppingToken, gate: gate);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next tick, or the next search, indexes what this one could not (a busy file, a database not yet migrated).
                logger.LogWarning(ex, "Could not add new log entries to the search index; trying again in {Interval}.", options.Value.SearchIndexInterval);
            }
        }
    }
}
