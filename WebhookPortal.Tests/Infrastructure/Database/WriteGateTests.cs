using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Database;

/// <summary>
/// The group-commit writers take turns at SQLite's write lock in process (first come, first served) instead of meeting
/// at SQLite's busy handler, where the publish writer lost to the attempt recorder for up to a second (issue 17, publish).
/// </summary>
public sealed class WriteGateTests
{
    [Fact]
    public async Task Writers_take_turns_in_the_order_they_came()
    {
        var gate = new WriteGate(takesTurns: true);
        var first = await gate.EnterAsync();
        var second = gate.EnterAsync().AsTask(); // each waits in line from this call on
        var third = gate.EnterAsync().AsTask();
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        first.Dispose();
        var secondTurn = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(third.IsCompleted); // the second writer's turn is not over

        secondTurn.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        using var again = await gate.EnterAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)); // free again (else this times out)
    }

    [Fact]
    public async Task On_PostgreSQL_writers_do_not_wait_for_each_other()
    {
        var gate = new WriteGate(takesTurns: false);
        using var first = await gate.EnterAsync();
        var second = gate.EnterAsync().AsTask();
        Assert.True(second.IsCompleted);
        (await second).Dispose();
    }

    [Fact]
    public void The_portal_on_SQLite_has_its_writers_take_turns()
    {
        using var portal = new PortalFactory();
        Assert.Equal(PortalFactory.PostgresServer is null, portal.Services.GetRequiredService<WriteGate>().TakesTurns);
    }

    [Fact]
    public async Task On_SQLite_turns_share_one_connection_that_stays_open_and_is_refused_outside_a_turn()
    {
        var directory = Directory.CreateTempSubdirectory("writegate-").FullName;
        var file = Path.Combine(directory, "gate.db");
        try
        {
            var connectionString = $"Data Source={file}";
            using (var setup = new SqliteConnection(connectionString))
            {
                setup.Open();
                using var create = setup.CreateCommand();
                create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE Notes (Id INTEGER PRIMARY KEY, Text TEXT NOT NULL);";
                create.ExecuteNonQuery();
            }

            // The application services give Identity its schema version, as in the app (else the model differs from the migrations).
            var options = new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(connectionString).UseApplicationServiceProvider(TestDatabase.IdentityServices).Options;
            var gate = new WriteGate(takesTurns: true, new SqliteWriterConnection(connectionString, options));
            var factory = new ThrowingFactory();
            System.Data.Common.DbConnection firstConnection;
            using (await gate.EnterAsync())
            {
                await using var db = await gate.CreateContextAsync(factory);
                firstConnection = db.Database.GetDbConnection();
                await db.Database.ExecuteSqlRawAsync("INSERT INTO Notes (Text) VALUES ('first')");
            }

            Assert.Equal(System.Data.ConnectionState.Open, firstConnection.State); // the context's end does not close it
            using (await gate.EnterAsync())
            {
                await using var db = await gate.CreateContextAsync(factory);
                Assert.Same(firstConnection, db.Database.GetDbConnection());
                await db.Database.ExecuteSqlRawAsync("INSERT INTO Notes (Text) VALUES ('second')");
            }

            // Contexts on the connection are pooled: the next turn gets the same context back, reset (a writer's settings
            // and tracked entities do not carry over to the next writer).
            PortalDbContext pooled;
            using (await gate.EnterAsync())
            {
                await using var db = await gate.CreateContextAsync(factory);
                pooled = db;
                db.Database.AutoSavepointsEnabled = false;
                db.ChangeTracker.AutoDetectChangesEnabled = false;
                db.Attach(new WebhookPortal.Features.Logs.LogEntry { Id = 1, Name = "n", Method = "POST", Path = "/", Direction = WebhookPortal.Features.Logs.LogDirection.Inbound, State = WebhookPortal.Features.Logs.LogState.Success });
            }

            using (await gate.EnterAsync())
            {
                await using var db = await gate.CreateContextAsync(factory);
                Assert.Same(pooled, db);
                Assert.True(db.Database.AutoSavepointsEnabled);
                Assert.True(db.ChangeTracker.AutoDetectChangesEnabled);
                Assert.Empty(db.ChangeTracker.Entries());
            }

            // Outside a turn another writer may be using it.
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await gate.CreateContextAsync(factory));

            // A connection found closed (after a failure) is replaced, and the new one writes.
            firstConnection.Close();
            using (await gate.EnterAsync())
            {
                await using var db = await gate.CreateContextAsync(factory);
                Assert.NotSame(firstConnection, db.Database.GetDbConnection());
                await db.Database.ExecuteSqlRawAsync("INSERT INTO Notes (Text) VALUES ('third')");
            }

            // A connection left inside a transaction (a batch whose rollback failed would hold the write lock) is replaced too.
            System.Data.Common.DbConnection stuck;
            using (await gate.EnterAsync())
            {
                await using var db = await gate.CreateContextAsync(factory);
                stuck = db.Database.GetDbConnection();
                using var begin = stuck.CreateCommand();
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }

            using (await gate.EnterAsync())
            {
                await using var db = await gate.CreateContextAsync(factory);
                Assert.NotSame(stuck, db.Database.GetDbConnection());
                await db.Database.ExecuteSqlRawAsync("INSERT INTO Notes (Text) VALUES ('fourth')");
            }

            Assert.Equal(3, gate.WriterConnection!.Opened);
            Assert.Equal(7, gate.WriterConnection.Contexts);
            using (var reader = new SqliteConnection(connectionString))
            {
                reader.Open();
                using var count = reader.CreateCommand();
                count.CommandText = "SELECT group_concat(Text, ',') FROM (SELECT Text FROM Notes ORDER BY Id)";
                Assert.Equal("first,second,third,fourth", count.ExecuteScalar()); // committed, seen from another connection
            }

            // The host stops: the connection is closed and no later turn gets it.
            gate.Dispose();
            using (await gate.EnterAsync())
            {
                await Assert.ThrowsAsync<ObjectDisposedException>(async () => await gate.CreateContextAsync(factory));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task On_PostgreSQL_writers_get_their_contexts_from_the_factory()
    {
        var gate = new WriteGate(takesTurns: false);
        using var database = new TestDatabase();
        await using var db = await gate.CreateContextAsync(database);
        Assert.Null(gate.WriterConnection);
        Assert.Equal(0, await db.Deliveries.CountAsync());
    }

    [Fact]
    public async Task The_SQLite_portal_publishes_and_records_attempts_through_the_writers_one_connection()
    {
        using var portal = new DeliveryPortalFactory();
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var recorder = portal.Services.GetRequiredService<AttemptRecorder>();
        var commitsBefore = recorder.Commits;
        var contextsBefore = portal.Services.GetRequiredService<WriteGate>().WriterConnection?.Contexts ?? 0;
        const int count = 20;

        await Task.WhenAll(Enumerable.Range(0, count).Select(i => portal.PublishAsync(webhook.IntegrationId, $$"""{"n":{{i}}}""")));
        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Delivered)) == count,
            "every delivery delivered", TimeSpan.FromSeconds(60));
        Assert.Equal(count, await portal.WithDbAsync(db => db.LogEntries.CountAsync(e => e.SourceId == webhook.Id)));

        var writer = portal.Services.GetRequiredService<WriteGate>().WriterConnection;
        if (portal.OnPostgres)
        {
            Assert.Null(writer); // PostgreSQL's writers run side by side, each on a pooled connection
            return;
        }

        // Every commit of the recorder (claims and records), and the publish writer's, went through the one connection.
        Assert.NotNull(writer);
        Assert.Equal(1, writer.Opened);
        Assert.True(writer.Contexts - contextsBefore > recorder.Commits - commitsBefore, $"{writer.Contexts - contextsBefore} contexts for {recorder.Commits - commitsBefore} recorder commits and the publish writer's");
    }

    /// <summary>On SQLite the gate's own connection serves: the factory must not be asked.</summary>
    private sealed class ThrowingFactory : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => throw new InvalidOperationException("The factory was asked for a context.");
    }
}
