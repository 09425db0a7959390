using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Database;

/// <summary>
/// Every connection the portal opens on SQLite waits for the write lock in SQLite's own busy handler, 30 s at most:
/// set by a direct call on each open (issue 17) instead of a PRAGMA command, and kept by a pooled connection.
/// </summary>
public sealed class SqliteBusyTimeoutTests
{
    [Fact]
    public async Task A_context_opened_and_opened_again_from_the_pool_has_the_busy_timeout()
    {
        var directory = Directory.CreateTempSubdirectory("busy-").FullName;
        try
        {
            var options = new DbContextOptionsBuilder<SqlitePortalDbContext>()
                .UseSqlite($"Data Source={Path.Combine(directory, "busy.db")}")
                .AddInterceptors(SqliteBusyTimeout.Instance)
                .UseApplicationServiceProvider(TestDatabase.IdentityServices)
                .Options;
            for (var open = 0; open < 2; open++)
            {
                await using var db = new SqlitePortalDbContext(options);
                await db.Database.OpenConnectionAsync();
                Assert.Equal(SqliteBusyTimeout.Milliseconds, await BusyTimeoutAsync(db));
            }

            // Without the interceptor a new connection has none (SQLite's default): the value above is the interceptor's.
            var plain = new DbContextOptionsBuilder<SqlitePortalDbContext>()
                .UseSqlite($"Data Source={Path.Combine(directory, "plain.db")}")
                .UseApplicationServiceProvider(TestDatabase.IdentityServices)
                .Options;
            await using var without = new SqlitePortalDbContext(plain);
            await without.Database.OpenConnectionAsync();
            Assert.Equal(0, await BusyTimeoutAsync(without));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<long> BusyTimeoutAsync(PortalDbContext db)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA busy_timeout";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
