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
        // Its restarts wait for the same turn as the group-commit writers.
        Assert.Same(portal.Services.GetRequiredService<WriteGate>(), checkpointer.Gate);

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
        await WithDatabaseAsync(async (writer, connectionString, directory) =>
        {
            await WriteNotesAsync(writer, 200);
            var checkpointer = new SqliteCheckpointer(connectionString, Options.Create(new DatabaseOptions()), NullLogger<SqliteCheckpointer>.Instance);
            var copied = await checkpointer.CheckpointAsync();

            // Everything written so far was in the log, and is now in the file: a connection that reads the file
            // alone (the log emptied by the next write's restart) sees it all.
            Assert.True(copied >= 100, $"copied {copied} frames");
            Assert.Equal(copied, checkpointer.FramesCheckpointed);
            Assert.Equal(1, checkpointer.Runs);
            // Within the default limit (64 MiB): no restart of the checkpointer's own was needed.
            Assert.Equal(0, checkpointer.Restarts);
            await ExecuteAsync(writer, "INSERT INTO Notes VALUES ('after')");
            Assert.True(new FileInfo(Path.Combine(directory, "c.db")).Length > 200 * 2000);
            // The next write started the log again from its beginning: it holds that write's few frames, not the 200 rows'.
            Assert.InRange((await PassiveAsync(writer)).Log, 1, 10);
            Assert.Equal(201L, await ScalarAsync(writer, "SELECT COUNT(*) FROM Notes"));
        });
    }

    [Fact]
    public async Task A_log_past_the_size_limit_is_started_again_in_the_writers_turn()
    {
        await WithDatabaseAsync(async (writer, connectionString, directory) =>
        {
            // ~600 frames of 4 KiB: past a 1 MiB limit (256 frames).
            await WriteNotesAsync(writer, 600);
            var gate = new WriteGate(takesTurns: true);
            var checkpointer = NewCheckpointer(connectionString, gate, limitMiB: 1);

            Task<int> checkpoint;
            using (await gate.EnterAsync())
            {
                // A writer holds its turn: the passive part copies the log, the restart waits for the turn.
                checkpoint = checkpointer.CheckpointAsync();
                await Task.WhenAny(checkpoint, Task.Delay(TimeSpan.FromMilliseconds(500)));
                Assert.False(checkpoint.IsCompleted, "The restart did not wait for the writers' turn.");
                Assert.Equal(0, checkpointer.Restarts);
                // The writer commits within its turn, as the group commits do.
                await WriteNotesAsync(writer, 5);
            }

            Assert.True(await checkpoint >= 600, "the passive checkpoint copied the log");
            Assert.Equal(1, checkpointer.Restarts);

            // Everything is in the database file, and the next commit writes from the log's beginning: the log holds
            // that commit's few frames, not the 605 rows'.
            await ExecuteAsync(writer, "INSERT INTO Notes VALUES ('after')");
            var (log, _) = await PassiveAsync(writer);
            Assert.InRange(log, 1, 10);
            Assert.Equal(606L, await ScalarAsync(writer, "SELECT COUNT(*) FROM Notes"));
            Assert.True(new FileInfo(Path.Combine(directory, "c.db")).Length > 605 * 2000);
        });
    }

    [Fact]
    public async Task A_log_within_the_size_limit_is_not_restarted_and_the_writers_are_not_paused()
    {
        await WithDatabaseAsync(async (writer, connectionString, _) =>
        {
            await WriteNotesAsync(writer, 100);
            var gate = new WriteGate(takesTurns: true);
            var checkpointer = NewCheckpointer(connectionString, gate, limitMiB: 1);
            using (await gate.EnterAsync())
            {
                // Finishes while a writer holds its turn: a log under the limit never waits for one.
                var checkpoint = checkpointer.CheckpointAsync();
                Assert.Same(checkpoint, await Task.WhenAny(checkpoint, Task.Delay(TimeSpan.FromSeconds(10))));
                Assert.True(await checkpoint >= 100);
            }

            Assert.Equal(0, checkpointer.Restarts);
            Assert.Equal(1, checkpointer.Runs);
        });
    }

    [Fact]
    public async Task A_restart_that_readers_hold_up_gives_up_briefly_and_the_next_one_restarts()
    {
        await WithDatabaseAsync(async (writer, connectionString, _) =>
        {
            await WriteNotesAsync(writer, 300);
            var gate = new WriteGate(takesTurns: true);
            var checkpointer = NewCheckpointer(connectionString, gate, limitMiB: 1);

            // A reader inside a transaction that began before the last commits keeps reading from the log.
            await using (var reader = new SqliteConnection(connectionString))
            {
                await reader.OpenAsync();
                await using var transaction = reader.BeginTransaction(deferred: true);
                await using (var read = reader.CreateCommand())
                {
                    read.Transaction = transaction;
                    read.CommandText = "SELECT COUNT(*) FROM Notes";
                    Assert.Equal(300L, (long)(await read.ExecuteScalarAsync())!);
                }

                await WriteNotesAsync(writer, 300);
                await checkpointer.CheckpointAsync();
                Assert.Equal(0, checkpointer.Restarts);

                // The writers' turn was given back: a writer commits at once.
                using (await gate.EnterAsync())
                {
                    await WriteNotesAsync(writer, 1);
                }
            }

            // The reader is done: the next checkpoint restarts the log.
            await checkpointer.CheckpointAsync();
            Assert.Equal(1, checkpointer.Restarts);
            await ExecuteAsync(writer, "INSERT INTO Notes VALUES ('after')");
            Assert.InRange((await PassiveAsync(writer)).Log, 1, 10);
            Assert.Equal(602L, await ScalarAsync(writer, "SELECT COUNT(*) FROM Notes"));
        });
    }

    [Fact]
    public void The_log_size_limit_is_64_MiB_by_default_and_refuses_what_is_outside_1_to_65536()
    {
        Assert.Equal(64, new DatabaseOptions().WalSizeLimitMiB);
        Assert.True(IsValid(new DatabaseOptions { WalSizeLimitMiB = 1 }));
        Assert.True(IsValid(new DatabaseOptions { WalSizeLimitMiB = 65_536 }));
        Assert.False(IsValid(new DatabaseOptions { WalSizeLimitMiB = 0 }));
        Assert.False(IsValid(new DatabaseOptions { WalSizeLimitMiB = 65_537 }));
    }

    private static bool IsValid(DatabaseOptions options) =>
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new System.ComponentModel.DataAnnotations.ValidationContext(options), [], validateAllProperties: true);

    private static SqliteCheckpointer NewCheckpointer(string connectionString, WriteGate gate, int limitMiB) =>
        new(connectionString, Options.Create(new DatabaseOptions { WalSizeLimitMiB = limitMiB }), NullLogger<SqliteCheckpointer>.Instance, gate);

    private static async Task WithDatabaseAsync(Func<SqliteConnection, string, string, Task> test)
    {
        var directory = Directory.CreateTempSubdirectory("checkpoint-").FullName;
        var connectionString = $"Data Source={Path.Combine(directory, "c.db")}";
        try
        {
            await using var writer = new SqliteConnection(connectionString);
            await writer.OpenAsync();
            await ExecuteAsync(writer, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE Notes (Text TEXT)");
            await test(writer, connectionString, directory);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    // One row of ~2 KB per commit, as the portal's writers commit batch after batch.
    private static async Task WriteNotesAsync(SqliteConnection writer, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await ExecuteAsync(writer, $"INSERT INTO Notes VALUES ('{new string('x', 2000)}')");
        }
    }

    private static async Task<(int Log, int Copied)> PassiveAsync(SqliteConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        await using var result = await command.ExecuteReaderAsync();
        Assert.True(await result.ReadAsync());
        return (result.GetInt32(1), result.GetInt32(2));
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
