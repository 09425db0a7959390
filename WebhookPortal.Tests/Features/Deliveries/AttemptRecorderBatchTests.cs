using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// The recorder's batch is one transaction that fails whole (GroupCommitLoop writes its items again one by one), so
/// EF Core's savepoint around SaveChanges only cost work: on SQLite every page the batch changed was first copied into a
/// statement journal (issue 17, delivery drain).
/// </summary>
public sealed class AttemptRecorderBatchTests
{
    [Fact]
    public async Task A_batch_is_saved_without_a_savepoint_and_committed()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        connection.Open();
        var commands = new CommandLog();
        var savepoints = new SavepointLog();
        var options = new DbContextOptionsBuilder<WebhookPortal.Data.SqlitePortalDbContext>()
            .UseSqlite(connection)
            .AddInterceptors(commands, savepoints)
            .UseApplicationServiceProvider(TestDatabase.IdentityServices)
            .Options;
        var factory = new Factory(options);
        await using (var setup = factory.CreateDbContext())
        {
            await setup.Database.MigrateAsync();
        }

        var recorder = new AttemptRecorder(factory, Microsoft.Extensions.Logging.Abstractions.NullLogger<AttemptRecorder>.Instance);
        await recorder.StartAsync(CancellationToken.None);
        var message = new Message { Id = Guid.NewGuid(), EventType = "savepoint.test", Payload = "{}", CreatedUtc = DateTime.UtcNow };
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "savepoint",
            Url = "http://127.0.0.1/", NextAttemptUtc = DateTime.UtcNow, CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
        };
        commands.Texts.Clear();
        savepoints.Created = 0;
        await using (var worker = factory.CreateDbContext())
        {
            worker.Messages.Add(message);
            worker.Deliveries.Add(delivery);
            await recorder.SaveAsync(worker).WaitAsync(TimeSpan.FromSeconds(30));
        }

        await recorder.StopAsync(CancellationToken.None);
        await using var check = factory.CreateDbContext();
        Assert.Equal("savepoint", (await check.Deliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id)).TargetName);
        Assert.Contains(commands.Texts, t => t.Contains("INSERT INTO \"Deliveries\"", StringComparison.Ordinal));
        Assert.DoesNotContain(commands.Texts, t => t.Contains("SAVEPOINT", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(0, savepoints.Created);
    }

    [Fact]
    public async Task An_attempts_record_is_written_by_the_batchs_commands_and_anything_more_through_SaveChanges()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        connection.Open();
        var commands = new CommandLog();
        var factory = new Factory(new DbContextOptionsBuilder<WebhookPortal.Data.SqlitePortalDbContext>()
            .UseSqlite(connection)
            .AddInterceptors(commands)
            .UseApplicationServiceProvider(TestDatabase.IdentityServices)
            .Options);
        await using (var setup = factory.CreateDbContext())
        {
            await setup.Database.MigrateAsync();
        }

        var plain = await StoreAsync(factory, "plain");
        var keptOut = await StoreAsync(factory, "kept-out");
        var withMore = await StoreAsync(factory, "with-more");
        var recorder = new AttemptRecorder(factory, Microsoft.Extensions.Logging.Abstractions.NullLogger<AttemptRecorder>.Instance);
        await recorder.StartAsync(CancellationToken.None);
        var finished = new DateTime(2026, 12, 6, 1, 2, 3, 456, DateTimeKind.Utc);
        commands.Texts.Clear();

        // What the worker does for a plain attempt: its tracked delivery changes, one log entry is added.
        await using (var worker = factory.CreateDbContext())
        {
            var delivery = await worker.Deliveries.SingleAsync(d => d.Id == plain);
            delivery.State = DeliveryState.Delivered;
            delivery.LastStatus = 204;
            delivery.LeaseUntilUtc = null;
            delivery.UpdatedUtc = finished;
            worker.LogEntries.Add(Attempt(plain, "plain"));
            await recorder.SaveAsync(worker).WaitAsync(TimeSpan.FromSeconds(30));
        }

        // What the worker does now: changes detected once, the log entry handed over beside its context, not added to it.
        await using (var worker = factory.CreateDbContext())
        {
            var delivery = await worker.Deliveries.SingleAsync(d => d.Id == keptOut);
            delivery.State = DeliveryState.Delivered;
            delivery.LastStatus = 202;
            worker.ChangeTracker.DetectChanges();
            worker.ChangeTracker.AutoDetectChangesEnabled = false;
            await recorder.SaveAsync(worker, Attempt(keptOut, "kept-out")).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Empty(worker.ChangeTracker.Entries()); // the worker's context let go of the delivery
        }

        // Anything more (here a second log entry) is not the plain record: SaveChanges writes it, as before.
        await using (var worker = factory.CreateDbContext())
        {
            var delivery = await worker.Deliveries.SingleAsync(d => d.Id == withMore);
            delivery.State = DeliveryState.Failed;
            delivery.LastError = "gone";
            worker.LogEntries.Add(Attempt(withMore, "with-more"));
            worker.LogEntries.Add(Attempt(withMore, "with-more-2"));
            await recorder.SaveAsync(worker).WaitAsync(TimeSpan.FromSeconds(30));
        }

        await recorder.StopAsync(CancellationToken.None);
        await using var check = factory.CreateDbContext();
        var rows = await check.Deliveries.AsNoTracking().Where(d => d.Id == plain || d.Id == keptOut || d.Id == withMore).ToDictionaryAsync(d => d.Id);
        Assert.Equal((DeliveryState.Delivered, 202), (rows[keptOut].State, rows[keptOut].LastStatus));
        Assert.Equal((DeliveryState.Delivered, 204, (DateTime?)null, finished), (rows[plain].State, rows[plain].LastStatus, rows[plain].LeaseUntilUtc, rows[plain].UpdatedUtc));
        Assert.Equal("plain", rows[plain].TargetName); // columns not changed stay
        Assert.Equal((DeliveryState.Failed, "gone"), (rows[withMore].State, rows[withMore].LastError));
        var logged = await check.LogEntries.AsNoTracking().Where(e => e.DeliveryId == plain || e.DeliveryId == keptOut || e.DeliveryId == withMore).Select(e => e.Name).ToListAsync();
        Assert.Equal(["kept-out", "plain", "with-more", "with-more-2"], logged.Order());

        // The plain record went through the batch's own commands (EF Core's interceptor never saw them); the other through EF Core.
        Assert.DoesNotContain(commands.Texts, t => t.Contains("UPDATE \"Deliveries\"", StringComparison.Ordinal) && t.Contains("\"LastStatus\"", StringComparison.Ordinal));
        Assert.Single(commands.Texts, t => t.Contains("UPDATE \"Deliveries\"", StringComparison.Ordinal));
        Assert.Equal(2, commands.Texts.Count(t => t.Contains("INSERT INTO \"LogEntries\"", StringComparison.Ordinal)));
    }

    private static async Task<Guid> StoreAsync(Factory factory, string name)
    {
        await using var db = factory.CreateDbContext();
        var message = new Message { Id = Guid.NewGuid(), EventType = "record.test", Payload = "{}", CreatedUtc = DateTime.UtcNow };
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = name,
            Url = "http://127.0.0.1/", NextAttemptUtc = DateTime.UtcNow, CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
            AttemptCount = 1, LeaseUntilUtc = DateTime.UtcNow.AddMinutes(1),
        };
        db.Messages.Add(message);
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        return delivery.Id;
    }

    private static LogEntry Attempt(Guid deliveryId, string name) => new()
    {
        TimeUtc = DateTime.UtcNow, Direction = LogDirection.Outbound, Name = name, Method = "POST", Path = "/hook", Status = 204,
        State = LogState.Success, DeliveryId = deliveryId, Attempt = 1, RequestBody = "{}",
    };

    // EF Core creates its savepoint through the ADO.NET transaction, not as a command: it is seen here.
    private sealed class SavepointLog : Microsoft.EntityFrameworkCore.Diagnostics.DbTransactionInterceptor
    {
        public int Created;

        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult> CreatingSavepointAsync(System.Data.Common.DbTransaction transaction, Microsoft.EntityFrameworkCore.Diagnostics.TransactionEventData eventData, Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult result, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Created);
            return base.CreatingSavepointAsync(transaction, eventData, result, cancellationToken);
        }
    }

    private sealed class Factory(DbContextOptions<WebhookPortal.Data.SqlitePortalDbContext> options) : IDbContextFactory<WebhookPortal.Data.PortalDbContext>
    {
        public WebhookPortal.Data.PortalDbContext CreateDbContext() => new WebhookPortal.Data.SqlitePortalDbContext(options);
    }

    private sealed class CommandLog : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Texts { get; } = new();

        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData, Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Texts.Enqueue(command.CommandText);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int>> NonQueryExecutingAsync(System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData, Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Texts.Enqueue(command.CommandText);
            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
