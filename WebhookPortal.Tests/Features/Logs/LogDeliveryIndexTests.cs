using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Logs;
using static WebhookPortal.Tests.Features.Logs.LogSearchDatabase;

namespace WebhookPortal.Tests.Features.Logs;

/// <summary>
/// The index on LogEntries.DeliveryId holds outbound entries only (issue 17: inbound entries, most of the log, wrote
/// an entry to it for nothing), and a delivery's attempts are still found through it. On SQLite, or on PostgreSQL when
/// the suite runs there.
/// </summary>
public sealed class LogDeliveryIndexTests : IDisposable
{
    private readonly LogSearchDatabase database = new();

    public void Dispose() => database.Dispose();

    [Fact]
    public async Task A_deliverys_attempts_are_found_through_the_index_which_holds_outbound_entries_only()
    {
        var delivery = Guid.NewGuid();
        var time = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        LogEntry Attempt(Guid id, int number)
        {
            var entry = LogSearchDatabase.Entry(time.AddSeconds(number), "orders", LogDirection.Outbound);
            entry.DeliveryId = id;
            entry.Attempt = number;
            return entry;
        }

        await database.AddAsync(
            LogSearchDatabase.Entry(time), LogSearchDatabase.Entry(time.AddSeconds(1)),
            Attempt(delivery, 1), Attempt(Guid.NewGuid(), 1), Attempt(delivery, 2));

        await using var db = database.CreateDbContext();
        var attempts = await db.LogEntries.AsNoTracking().Where(e => e.DeliveryId == delivery).OrderBy(e => e.Id).Select(e => e.Attempt).ToListAsync();
        Assert.Equal([1, 2], attempts);

        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        if (database.OnPostgres)
        {
            Assert.Contains("WHERE (\"DeliveryId\" IS NOT NULL)", await TextAsync(connection, "SELECT indexdef FROM pg_indexes WHERE indexname = 'IX_LogEntries_DeliveryId'"), StringComparison.Ordinal);
            // Five rows make a sequential scan cheapest; without that choice, the planner must find the index usable.
            await TextAsync(connection, "SET enable_seqscan = off");
            Assert.Contains("IX_LogEntries_DeliveryId", await TextAsync(connection, "EXPLAIN SELECT \"Attempt\" FROM \"LogEntries\" WHERE \"DeliveryId\" = @id", ("@id", delivery)), StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("WHERE \"DeliveryId\" IS NOT NULL", await TextAsync(connection, "SELECT sql FROM sqlite_master WHERE name = 'IX_LogEntries_DeliveryId'"), StringComparison.Ordinal);
            Assert.Contains("USING INDEX IX_LogEntries_DeliveryId (DeliveryId=?)", await TextAsync(connection, "EXPLAIN QUERY PLAN SELECT \"Attempt\" FROM \"LogEntries\" WHERE \"DeliveryId\" = @id", ("@id", delivery)), StringComparison.Ordinal);
            Assert.Equal("3", await TextAsync(connection, "SELECT count(*) FROM \"LogEntries\" INDEXED BY \"IX_LogEntries_DeliveryId\" WHERE \"DeliveryId\" IS NOT NULL"));
        }
    }
}
