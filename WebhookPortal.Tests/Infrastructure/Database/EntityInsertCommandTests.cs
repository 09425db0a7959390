using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Features.Deliveries;
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

    [Fact]
    public async Task Later_rows_through_the_same_command_are_stored_exactly_as_SaveChanges_stores_them()
    {
        // The first row builds the command's parameters; later rows only get new values (converted as the mapping
        // converts them): enums, nulls where the first row had values, and values where it had nulls.
        var names = Enumerable.Range(0, 3).Select(i => $"later{i}-" + Guid.NewGuid().ToString("N")).ToArray();
        var tracked = "tracked-" + Guid.NewGuid().ToString("N");
        LogEntry Second(string name)
        {
            var entry = Entry(name);
            entry.Direction = LogDirection.Outbound;
            entry.State = LogState.Success;
            entry.Error = null;
            entry.SourceId = null;
            entry.RequestBody = null;
            entry.ResponseHeaders = "{\"x\":\"y\"}";
            entry.DeliveryId = Guid.Parse("11111111-2222-3333-4444-555555555555");
            entry.Attempt = null;
            entry.Duplicate = true;
            entry.ReplayOfId = 42;
            entry.EventType = "order.created";
            entry.TimeUtc = entry.TimeUtc.AddDays(1).AddTicks(7);
            return entry;
        }

        await portal.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await using (var insert = new EntityInsertCommand<LogEntry>(db, db.Database.GetDbConnection(), transaction.GetDbTransaction()))
            {
                await insert.InsertAsync(Entry(names[0]), CancellationToken.None);
                await insert.InsertAsync(Second(names[1]), CancellationToken.None);
                await insert.InsertAsync(Entry(names[2]), CancellationToken.None);
            }

            db.LogEntries.Add(Second(tracked));
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            return 0;
        });

        var rows = await portal.WithDbAsync(db => db.LogEntries.AsNoTracking()
            .Where(e => names.Contains(e.Name) || e.Name == tracked)
            .ToListAsync());
        Assert.Equal(4, rows.Count);
        var second = rows.Single(r => r.Name == names[1]);
        var twin = rows.Single(r => r.Name == tracked);
        foreach (var property in typeof(LogEntry).GetProperties().Where(p => p.Name is not nameof(LogEntry.Id) and not nameof(LogEntry.Name)))
        {
            Assert.Equal(property.GetValue(twin), property.GetValue(second));
        }

        // The third row is the first one again: nothing of the second stuck to the parameters.
        var first = rows.Single(r => r.Name == names[0]);
        var third = rows.Single(r => r.Name == names[2]);
        foreach (var property in typeof(LogEntry).GetProperties().Where(p => p.Name is not nameof(LogEntry.Id) and not nameof(LogEntry.Name)))
        {
            Assert.Equal(property.GetValue(first), property.GetValue(third));
        }

        Assert.Equal(LogDirection.Outbound, second.Direction);
        Assert.Null(second.SourceId);
        Assert.Equal(LogDirection.Inbound, third.Direction);
        Assert.Equal(Entry("x").SourceId, third.SourceId);

        // Stored byte for byte as SaveChanges stores them.
        foreach (var column in new[] { "TimeUtc", "Direction", "State", "SourceId", "DeliveryId", "Attempt", "Duplicate", "ReplayOfId" })
        {
            var values = await portal.WithDbAsync(db => db.Database
                .SqlQueryRaw<string>("SELECT COALESCE(CAST(\"" + column + "\" AS TEXT), 'null') AS \"Value\" FROM \"LogEntries\" WHERE \"Name\" IN ({0}, {1}) ORDER BY \"Name\"", names[1], tracked)
                .ToListAsync());
            Assert.Equal(2, values.Count);
            Assert.Equal(values[1], values[0]);
        }
    }

    private static (Message Message, Delivery Delivery) Published(Guid integrationId, string eventType)
    {
        var message = new Message { Id = Guid.CreateVersion7(), IntegrationId = integrationId, EventType = eventType, Payload = "{\"n\":\"ünï\"}", CreatedUtc = new DateTime(2026, 11, 23, 12, 34, 56, 789, DateTimeKind.Utc).AddTicks(4321) };
        var delivery = new Delivery
        {
            Id = Guid.CreateVersion7(),
            MessageId = message.Id,
            TargetKind = DeliveryTargetKind.Webhook,
            TargetId = Guid.Parse("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"),
            TargetName = "orders",
            Url = "https://example.com/hook",
            Method = "POST",
            State = DeliveryState.Pending,
            AttemptCount = 0,
            NextAttemptUtc = message.CreatedUtc,
            LeaseUntilUtc = null,
            CreatedUtc = message.CreatedUtc,
            UpdatedUtc = message.CreatedUtc,
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };
        return (message, delivery);
    }

    [Fact]
    public async Task Rows_with_their_own_guid_keys_are_stored_with_those_keys_exactly_as_SaveChanges_stores_them()
    {
        // The publish writer's messages and deliveries: EF marks a GUID key "generated on add", but the row brings it.
        var integrationId = await portal.WithDbAsync(async db =>
        {
            var integration = new WebhookPortal.Features.Integrations.Integration { Id = Guid.NewGuid(), Name = "insert-" + Guid.NewGuid().ToString("N")[..8] };
            db.Add(integration);
            await db.SaveChangesAsync();
            return integration.Id;
        });
        var fast = Published(integrationId, "fast");
        var tracked = Published(integrationId, "tracked");
        await portal.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await using (var messages = new EntityInsertCommand<Message>(db, db.Database.GetDbConnection(), transaction.GetDbTransaction()))
            await using (var deliveries = new EntityInsertCommand<Delivery>(db, db.Database.GetDbConnection(), transaction.GetDbTransaction()))
            {
                await messages.InsertAsync(fast.Message, CancellationToken.None);
                await deliveries.InsertAsync(fast.Delivery, CancellationToken.None);
            }

            db.Messages.Add(tracked.Message);
            db.Deliveries.Add(tracked.Delivery);
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            return 0;
        });

        var storedMessages = await portal.WithDbAsync(db => db.Messages.AsNoTracking().Where(m => m.IntegrationId == integrationId).ToListAsync());
        var storedDeliveries = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.MessageId == fast.Message.Id || d.MessageId == tracked.Message.Id).ToListAsync());
        Assert.Equal(2, storedMessages.Count);
        Assert.Equal(2, storedDeliveries.Count);
        var fastMessage = storedMessages.Single(m => m.Id == fast.Message.Id);
        var fastDelivery = storedDeliveries.Single(d => d.Id == fast.Delivery.Id);
        foreach (var property in typeof(Message).GetProperties().Where(p => p.Name is not nameof(Message.Id) and not nameof(Message.EventType)))
        {
            Assert.Equal(property.GetValue(storedMessages.Single(m => m.Id == tracked.Message.Id)), property.GetValue(fastMessage));
        }

        foreach (var property in typeof(Delivery).GetProperties().Where(p => p.Name is not nameof(Delivery.Id) and not nameof(Delivery.MessageId) and not nameof(Delivery.Message)))
        {
            Assert.Equal(property.GetValue(storedDeliveries.Single(d => d.Id == tracked.Delivery.Id)), property.GetValue(fastDelivery));
        }

        Assert.Equal(fast.Message.Id, fastDelivery.MessageId);
        Assert.Equal(DeliveryState.Pending, fastDelivery.State);

        // And as stored text: the GUID keys, the enum converters and the times are written the same way.
        foreach (var column in new[] { "Id", "MessageId", "TargetKind", "State", "NextAttemptUtc", "CreatedUtc", "TraceParent" })
        {
            var fastText = await StoredTextAsync(column, fast.Delivery.Id);
            var trackedText = await StoredTextAsync(column, tracked.Delivery.Id);
            if (column is "Id" or "MessageId")
            {
                var expected = column == "Id" ? fast.Delivery.Id : fast.Message.Id;
                Assert.Equal(expected.ToString(), fastText, ignoreCase: true);
                Assert.Equal(trackedText == trackedText.ToUpperInvariant(), fastText == fastText.ToUpperInvariant());
            }
            else
            {
                Assert.Equal(trackedText, fastText);
            }
        }
    }

    [Fact]
    public async Task Keys_the_database_gives_are_left_to_it_whatever_their_type()
    {
        // A model of its own: no portal entity has a GUID key with a database default, but the command must not take
        // such a key for the row's own (it would insert the empty GUID, once).
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var db = new KeysContext(new DbContextOptionsBuilder<KeysContext>().UseSqlite(connection).Options);
        await db.Database.EnsureCreatedAsync();

        await using (var guids = new EntityInsertCommand<DefaultGuidRow>(db, connection, null))
        {
            await guids.InsertAsync(new DefaultGuidRow { Name = "a" }, CancellationToken.None);
            await guids.InsertAsync(new DefaultGuidRow { Name = "b" }, CancellationToken.None);
        }

        await using (var numbers = new EntityInsertCommand<NumberRow>(db, connection, null))
        {
            await numbers.InsertAsync(new NumberRow { Name = "a" }, CancellationToken.None);
            await numbers.InsertAsync(new NumberRow { Name = "b" }, CancellationToken.None);
        }

        var guidKeys = await db.Database.SqlQueryRaw<string>("SELECT CAST(\"Id\" AS TEXT) AS \"Value\" FROM \"DefaultGuidRows\"").ToListAsync();
        Assert.Equal(2, guidKeys.Distinct().Count());
        Assert.DoesNotContain(guidKeys, k => Guid.TryParse(k, out var id) && id == Guid.Empty);
        Assert.Equal([1L, 2L], await db.Database.SqlQueryRaw<long>("SELECT \"Id\" AS \"Value\" FROM \"NumberRows\" ORDER BY \"Id\"").ToListAsync());
    }

    public sealed class DefaultGuidRow
    {
        public Guid Id { get; set; }

        public string Name { get; set; } = "";
    }

    public sealed class NumberRow
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    private sealed class KeysContext(DbContextOptions<KeysContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<DefaultGuidRow>().ToTable("DefaultGuidRows").Property(r => r.Id).HasDefaultValueSql("(lower(hex(randomblob(16))))");
            modelBuilder.Entity<NumberRow>().ToTable("NumberRows");
        }
    }

    private async Task<string> StoredTextAsync(string column, Guid deliveryId) =>
        await portal.WithDbAsync(db => db.Database
            .SqlQueryRaw<string>("SELECT CAST(\"" + column + "\" AS TEXT) AS \"Value\" FROM \"Deliveries\" WHERE \"Id\" = {0}", deliveryId)
            .SingleAsync());
}
