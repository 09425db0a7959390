using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A runner's claim of its next few deliveries must cost the same whatever waits behind them (issue 17, delivery drain).
/// Without statistics, SQLite chose the (State, NextAttemptUtc) index for it, so every claim read the rows of all due
/// deliveries: 2 ms a claim with 8,000 waiting, the drain's most expensive statement (per-statement times,
/// bench/RESULTS.md). These tests read SQLite's plan for the statement the recorder runs.
/// </summary>
public sealed class DeliveryClaimPlanTests
{
    [Fact]
    public void On_SQLite_a_claim_finds_its_deliveries_by_their_ids()
    {
        var plan = PlanOf(AttemptRecorder.ClaimSql(8, sqlite: true));

        Assert.Contains("(Id=?)", plan);
        Assert.DoesNotContain("State", plan);
    }

    [Fact]
    public void Without_the_hint_SQLite_would_read_every_due_delivery_for_a_claim()
    {
        // The same statement as PostgreSQL gets (its planner has statistics): on SQLite it scans the due range. This is
        // what the claim ran before; if SQLite's planner ever stops doing so, the hint may go.
        var plan = PlanOf(AttemptRecorder.ClaimSql(8, sqlite: false));

        Assert.Contains("IX_Deliveries_State_NextAttemptUtc", plan);
    }

    [Fact]
    public void On_SQLite_handing_claimed_deliveries_back_finds_them_by_their_ids()
    {
        var plan = PlanOf(AttemptRecorder.HandBackSql(8, sqlite: true));

        Assert.Contains("(Id=?)", plan);
        Assert.DoesNotContain("State", plan);
        Assert.Contains("IX_Deliveries_State_NextAttemptUtc", PlanOf(AttemptRecorder.HandBackSql(8, sqlite: false)));
    }

    [Fact]
    public void The_claim_binds_every_value_as_a_parameter()
    {
        var sql = AttemptRecorder.ClaimSql(3, sqlite: true);

        Assert.Contains("IN ({2}, {3}, {4})", sql);
        Assert.DoesNotContain("{5}", sql);
        Assert.Equal(sql.Replace("+\"", "\""), AttemptRecorder.ClaimSql(3, sqlite: false));
    }

    private static string PlanOf(string claimSql)
    {
        using var database = new TestDatabase();
        using var db = database.CreateContext();
        var connection = db.Database.GetDbConnection();
        using var command = connection.CreateCommand();
        var names = Enumerable.Range(0, 10).Select(i => (object)("@p" + i)).ToArray();
        command.CommandText = "EXPLAIN QUERY PLAN " + string.Format(System.Globalization.CultureInfo.InvariantCulture, claimSql, names);
        foreach (var name in names)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = (string)name;
            parameter.Value = "2026-01-01 00:00:00";
            command.Parameters.Add(parameter);
        }

        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join("\n", lines);
    }
}

/// <summary>
/// The recorder's batch is one transaction that fails whole (GroupCommitLoop writes its items again one by one), so
/// EF Core's savepoint around SaveChanges only cost work: on SQLite every page the batch changed was first copied into a
/// statement journal (issue 17, delivery drain).
/// </summary>
public sealed class AttemptRecorderSavepointTests
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
