using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using WebhookPortal.Features.Audit;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Receiver;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Features.Logs;
using static WebhookPortal.Tests.Features.Logs.LogSearchDatabase;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>
/// Retention deletes in batches of Retention:BatchSize, one short statement each, so that SQLite's writer never waits
/// long (issue 17): the same rows go, and are counted, as with one delete. On the database itself (SQLite, or
/// PostgreSQL when PORTAL_TEST_POSTGRES is set), with the delete statements watched by an interceptor.
/// </summary>
public sealed class RetentionBatchTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime LogCutoff = Now.AddDays(-30);
    private readonly LogSearchDatabase database = new();

    public void Dispose() => database.Dispose();

    /// <summary>Rows affected by each DELETE of one table, in order.</summary>
    private sealed class DeleteWatch(string table) : DbCommandInterceptor
    {
        public List<int> Rows { get; } = [];

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.TrimStart().StartsWith($"DELETE FROM \"{table}\"", StringComparison.Ordinal))
            {
                Rows.Add(result);
            }

            return ValueTask.FromResult(result);
        }
    }

    /// <summary>One retention run (log: 30 days and at most <paramref name="cap"/> per source; audit: 365 days) and the deletes of <paramref name="table"/>.</summary>
    private async Task<(RetentionReport Report, List<int> Deletes)> RunRetentionAsync(int batchSize, int cap = 10_000, string table = "LogEntries")
    {
        var watch = new DeleteWatch(table);
        await using var db = database.CreateDbContext(watch);
        var clock = new FakeTimeProvider(new DateTimeOffset(Now));
        var service = new RetentionService(db, clock, Options.Create(new RetentionOptions { BatchSize = batchSize }),
            Options.Create(new LogOptions { RetentionDays = 30, MaxEntriesPerSource = cap }), NullLogger<RetentionService>.Instance,
            new DeliveryRetention(Options.Create(new DeliveryOptions()), clock), Options.Create(new AuditOptions { RetentionDays = 365 }));
        return (await service.RunAsync(), watch.Rows);
    }

    /// <summary>Old entries out of time order (by id) and two to an instant, so that a batch must end inside a tie.</summary>
    private static LogEntry[] OldEntries(int count, Guid? source = null) =>
        [.. Enumerable.Range(0, count).Select(i => WithSource(Entry(LogCutoff.AddDays(-10).AddMinutes((count - i) / 2), requestBody: $"{{\"ref\":\"expired-{i}\",\"all\":\"batchword\"}}"), source))];

    /// <summary>Entries within the 30 days, the first exactly at the cutoff (kept: only older ones go).</summary>
    private static LogEntry[] RecentEntries(int count, Guid? source = null) =>
        [.. Enumerable.Range(0, count).Select(i => WithSource(Entry(LogCutoff.AddHours(i * 7), requestBody: $"{{\"ref\":\"kept-{i}\",\"all\":\"batchword\"}}"), source))];

    private static LogEntry WithSource(LogEntry entry, Guid? source)
    {
        entry.SourceId = source;
        return entry;
    }

    private async Task<List<long>> LogIdsAsync()
    {
        await using var db = database.CreateDbContext();
        return await db.LogEntries.OrderBy(e => e.Id).Select(e => e.Id).ToListAsync();
    }

    [Fact]
    public async Task Old_log_entries_all_go_in_small_batches_the_recent_stay_and_the_count_is_exact()
    {
        var old = OldEntries(10);
        var recent = RecentEntries(4);
        await database.AddAsync([.. old[..5], .. recent[..2], .. old[5..], .. recent[2..]]);

        var (report, _) = await RunRetentionAsync(batchSize: 3);

        Assert.Equal(10, report.LogEntriesDeleted);
        Assert.Equal(recent.Select(e => e.Id).Order(), await LogIdsAsync());
    }

    [Theory]
    [InlineData(10, new[] { 3, 3, 3, 1 })]
    [InlineData(9, new[] { 3, 3, 3 })]
    [InlineData(2, new[] { 2 })]
    [InlineData(0, new int[0])]
    public async Task Old_log_entries_are_deleted_by_statements_of_at_most_the_batch_size(int oldCount, int[] expectedDeletes)
    {
        await database.AddAsync([.. OldEntries(oldCount), .. RecentEntries(4)]);

        var (report, deletes) = await RunRetentionAsync(batchSize: 3);

        // One statement per batch, each a full batch but the last: ceil(oldCount / 3) of them.
        Assert.Equal(expectedDeletes, deletes);
        Assert.Equal(oldCount, report.LogEntriesDeleted);
        Assert.Equal(4, (await LogIdsAsync()).Count);
    }

    [Fact]
    public async Task The_per_source_cap_keeps_exactly_the_newest_entries_of_each_source_with_small_batches()
    {
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        // Interleaved sources, and times not in id order: the newest are the highest ids, as before batches.
        var entries = new List<LogEntry>();
        for (var i = 0; i < 17; i++)
        {
            entries.Add(WithSource(Entry(Now.AddMinutes(-((i * 7) % 17))), a));
            if (i < 12)
            {
                entries.Add(WithSource(Entry(Now.AddMinutes(-((i * 5) % 12))), b));
            }

            if (i < 5)
            {
                entries.Add(WithSource(Entry(Now.AddMinutes(-i)), c));
                entries.Add(Entry(Now.AddMinutes(-i)));
            }
        }

        await database.AddAsync([.. entries]);

        var (report, deletes) = await RunRetentionAsync(batchSize: 3, cap: 10);

        Assert.Equal(7 + 2, report.LogEntriesDeleted);
        // a's 7 in three batches, b's 2 in one (the sources in either order).
        Assert.Equal([1, 2, 3, 3], deletes.Order());
        await using var db = database.CreateDbContext();
        foreach (var source in new Guid?[] { a, b, c, null })
        {
            var newest = entries.Where(e => e.SourceId == source).Select(e => e.Id).OrderDescending().Take(10).Order();
            Assert.Equal(newest, await db.LogEntries.Where(e => e.SourceId == source).OrderBy(e => e.Id).Select(e => e.Id).ToListAsync());
        }
    }

    [Fact]
    public async Task Text_search_no_longer_finds_entries_deleted_in_batches()
    {
        var source = Guid.NewGuid();
        var recent = RecentEntries(4);
        await database.AddAsync([.. OldEntries(10), .. recent[..2], .. OldEntries(2, source), .. recent[2..]]);
        // Capped: the source's two entries older than its newest ten go too.
        var capped = RecentEntries(12, source);
        await database.AddAsync(capped);
        await using (var db = database.CreateDbContext())
        {
            // Everything is in the full-text index before retention (SQLite indexes in the background; PostgreSQL on insert).
            await LogSearchIndex.CatchUpAsync(db, CancellationToken.None);
        }

        var (report, _) = await RunRetentionAsync(batchSize: 3, cap: 10);

        Assert.Equal(10 + 2 + 2, report.LogEntriesDeleted);
        var service = database.Service();
        var expired = await service.SearchAsync(new LogQuery(null, null, null, null, null, "expired", null, null));
        Assert.Empty(expired.Items);
        Assert.Equal(0, expired.Total);
        var kept = await service.SearchAsync(new LogQuery(null, null, null, null, null, "kept", null, null));
        Assert.Equal(recent.Concat(capped[2..]).Select(e => e.Id).Order(), kept.Items.Select(i => i.Id).Order());
        Assert.Equal(14, kept.Total);
        if (!database.OnPostgres)
        {
            // The index itself holds the remaining entries only (the delete trigger ran for each row of each batch).
            await using var db = database.CreateDbContext();
            var indexed = await db.Database.SqlQueryRaw<int>("""SELECT count(*) AS "Value" FROM "LogSearch" WHERE "LogSearch" MATCH 'batchword'""").SingleAsync();
            Assert.Equal(14, indexed);
            await db.Database.ExecuteSqlRawAsync("""INSERT INTO "LogSearch" ("LogSearch") VALUES ('integrity-check')""");
        }
    }

    [Fact]
    public async Task Expired_delivery_ids_go_in_batches_with_ties_kept_together_and_counted_once()
    {
        var nowMs = new DateTimeOffset(Now).ToUnixTimeMilliseconds();
        // Seven expired (10, 9, 9, 9, 8 and 7 ms before now, and at now), two still to come.
        long[] expiries = [nowMs - 10, nowMs - 9, nowMs - 9, nowMs - 9, nowMs - 8, nowMs - 7, nowMs, nowMs + 1, nowMs + 60_000];
        await using (var db = database.CreateDbContext())
        {
            db.IdempotencyKeys.AddRange(expiries.Select((at, i) => new IdempotencyKey { KeyHash = System.Security.Cryptography.SHA256.HashData(new[] { (byte)i }), ExpiresAtMs = at, Status = 200 }));
            await db.SaveChangesAsync();
        }

        var (report, deletes) = await RunRetentionAsync(batchSize: 3, table: "IdempotencyKeys");

        Assert.Equal(7, report.IdempotencyKeysDeleted);
        // The first batch ends inside the tie at -9 ms: the whole tie goes with it.
        Assert.Equal([4, 3], deletes);
        await using var check = database.CreateDbContext();
        Assert.Equal([nowMs + 1, nowMs + 60_000], await check.IdempotencyKeys.OrderBy(k => k.ExpiresAtMs).Select(k => k.ExpiresAtMs).ToListAsync());
    }

    [Fact]
    public async Task Old_audit_entries_go_in_batches_oldest_first_and_are_counted_once()
    {
        var cutoff = Now.AddDays(-365);
        var entries = Enumerable.Range(0, 8).Select(i => new AuditEntry { TimeUtc = cutoff.AddDays(-1).AddMinutes(-(i % 3)), Action = "old", ResourceType = AuditResources.Listener })
            .Concat(Enumerable.Range(0, 2).Select(i => new AuditEntry { TimeUtc = cutoff.AddMinutes(i), Action = "kept", ResourceType = AuditResources.Listener }))
            .ToList();
        await using (var db = database.CreateDbContext())
        {
            db.AuditEntries.AddRange(entries);
            await db.SaveChangesAsync();
        }

        var (report, deletes) = await RunRetentionAsync(batchSize: 3, table: "AuditEntries");

        Assert.Equal(8, report.AuditEntriesDeleted);
        Assert.Equal([3, 3, 2], deletes);
        await using var check = database.CreateDbContext();
        Assert.Equal(["kept", "kept"], await check.AuditEntries.Select(e => e.Action).ToListAsync());
    }
}
