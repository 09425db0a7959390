using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging.Abstractions;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Database;

/// <summary>
/// On SQLite the write-ahead log is copied back into the database file by a background service, not inside a writer's
/// commit: the portal's connections have SQLite's automatic checkpoint off, and the service's passive checkpoints keep
/// the log from growing (issue 17).
/// </summary>
public sealed class SqliteCheckpointerTests
{
    [Fact]
    public async Task The_portal_checkpoints_in_the_background_with_the_automatic_checkpoint_off_on_its_connections()
    {
        await using var portal = new PortalFactory();
        if (portal.OnPostgres)
        {
            // PostgreSQL has no write-ahead log of the portal's to copy: no checkpointer is registered there.
            _ = portal.Server;
            Assert.Null(portal.Services.GetService<SqliteCheckpointer>());
            return;
        }

        await portal.CreateListenerAsync();
        var checkpointer = portal.Services.GetRequiredService<SqliteCheckpointer>();

        // Every connection the portal's contexts open (first and pooled again) leaves checkpoints to the service.
        for (var open = 0; open < 2; open++)
        {
            // Opened through EF Core, as the portal opens them (the interceptor runs on every open, pooled or new).
            Assert.Equal(0L, await portal.WithDbAsync(async db =>
            {
                await db.Database.OpenConnectionAsync();
                try
                {
                    return await ScalarAsync(db.Database.GetDbConnection(), "PRAGMA wal_autocheckpoint");
                }
                finally
                {
                    await db.Database.CloseConnectionAsync();
                }
            }));
        }

        // So does the group-commit writers' shared connection.
        var gate = portal.Services.GetRequiredService<WriteGate>();
        using (await gate.EnterAsync())
        {
            await using var db = await gate.CreateContextAsync(portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>());
            Assert.Equal(0L, await ScalarAsync(db.Database.GetDbConnection(), "PRAGMA wal_autocheckpoint"));
        }

        // The listener's writes are copied into the file by the service (every second by default).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (checkpointer.FramesCheckpointed == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(checkpointer.Runs > 0);
        Assert.True(checkpointer.FramesCheckpointed > 0);
    }

    [Fact]
    public async Task A_checkpoint_copies_the_log_into_the_file_and_the_log_restarts()
    {
        var directory = Directory.CreateTempSubdirectory("checkpoint-").FullName;
        var connectionString = $"Data Source={Path.Combine(directory, "c.db")}";
        try
        {
            await using (var writer = new SqliteConnection(connectionString))
            {
                await writer.OpenAsync();
                await ExecuteAsync(writer, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE Notes (Text TEXT)");
                for (var i = 0; i < 200; i++)
                {
                    await ExecuteAsync(writer, $"INSERT INTO Notes VALUES ('{new string('x', 2000)}')");
                }

                var checkpointer = new SqliteCheckpointer(connectionString, Options.Create(new DatabaseOptions()), NullLogger<SqliteCheckpointer>.Instance);
                var copied = await checkpointer.CheckpointAsync();

                // Everything written so far was in the log, and is now in the file: a connection that reads the file
                // alone (the log emptied by the next write's restart) sees it all.
                Assert.True(copied >= 100, $"copied {copied} frames");
                Assert.Equal(copied, checkpointer.FramesCheckpointed);
                Assert.Equal(1, checkpointer.Runs);
                await ExecuteAsync(writer, "INSERT INTO Notes VALUES ('after')");
                Assert.True(new FileInfo(Path.Combine(directory, "c.db")).Length > 200 * 2000);
                // The next write started the log again from its beginning: it holds that write's few frames, not the 200 rows'.
                await using (var again = writer.CreateCommand())
                {
                    again.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                    await using var result = await again.ExecuteReaderAsync();
                    Assert.True(await result.ReadAsync());
                    Assert.InRange(result.GetInt32(1), 1, 10);
                }

                Assert.Equal(201L, await ScalarAsync(writer, "SELECT COUNT(*) FROM Notes"));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(System.Data.Common.DbConnection connection, string sql)
    {
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync();
        }

        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (long)(await command.ExecuteScalarAsync())!;
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync();
            }
        }
    }
}
