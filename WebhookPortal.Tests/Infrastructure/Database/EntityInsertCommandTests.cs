using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Database;

public sealed class EntityInsertCommandTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static LogEntry Entry(string name) => new()
    {
        TimeUtc = new DateTime(2026, 11, 23, 12, 34, 56, 789, DateTimeKind.Utc).AddTicks(1234),
        Direction = LogDirection.Inbound,
        IntegrationId = Guid.Parse("5f3c8a9e-1b2d-4c6e-8f00-aabbccddeeff"),
        SourceId = Guid.Parse("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"),
        Name = name,
        Method = "POST",
        Path = "/hooks/x/y",
        Status = 422,
        State = LogState.Error,
        Error = "bad \"field\" ünïcode",
        DurationMs = 17,
        RequestHeaders = "{\"a\":\"b\"}",
        RequestBody = "{\"id\":1}",
        ResponseHeaders = null,
        ResponseBody = "{}",
        DeliveryId = null,
        Attempt = 3,
    };

    [Fact]
    public async Task A_row_inserted_through_the_command_is_stored_exactly_as_SaveChanges_stores_it()
    {
        var fast = "fast-" + Guid.NewGuid().ToString("N");
        var tracked = "tracked-" + Guid.NewGuid().ToString("N");
        await portal.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await using (var insert = new EntityInsertCommand<LogEntry>(db, db.Database.GetDbConnection(), transaction.GetDbTransaction()))
            {
                await insert.InsertAsync(Entry(fast), CancellationToken.None);
            }

            db.LogEntries.Add(Entry(tracked));
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            return 0;
        });

        // Read back through EF (converters, time and GUID comparisons in SQL) and compare every column.
        var rows = await portal.WithDbAsync(db => db.LogEntries.AsNoTracking()
            .Where(e => e.Name == fast || e.Name == tracked)
            .Where(e => e.TimeUtc >= new DateTime(2026, 11, 23, 12, 34, 56, 789, DateTimeKind.Utc) && e.IntegrationId == Guid.Parse("5f3c8a9e-1b2d-4c6e-8f00-aabbccddeeff"))
            .ToListAsync());
        Assert.Equal(2, rows.Count);
        var a = rows.Single(r => r.Name == fast);
        var b = rows.Single(r => r.Name == tracked);
        Assert.True(a.Id > 0);
        foreach (var property in typeof(LogEntry).GetProperties().Where(p => p.Name is not nameof(LogEntry.Id) and not nameof(LogEntry.Name)))
        {
            Assert.Equal(property.GetValue(b), property.GetValue(a));
        }

        // And byte for byte in the database: the stored text of each column is the same.
        var columns = new[] { "TimeUtc", "IntegrationId", "SourceId", "State", "Attempt", "DurationMs", "DeliveryId" };
        foreach (var column in columns)
        {
            var values = await portal.WithDbAsync(db => db.Database
                .SqlQueryRaw<string>("SELECT CAST(\"" + column + "\" AS TEXT) AS \"Value\" FROM \"LogEntries\" WHERE \"Name\" IN ({0}, {1}) ORDER BY \"Name\"", fast, tracked)
                .ToListAsync());
            Assert.Equal(2, values.Count);
            Assert.Equal(values[1], values[0]);
        }
    }
}
