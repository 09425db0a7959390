using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Database;

/// <summary>The attempt records' update command (issue 17) stores what SaveChanges stores, and fails as it does for a row that is gone.</summary>
public sealed class EntityUpdateCommandTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly string[] Columns = [nameof(Delivery.State), nameof(Delivery.LastStatus), nameof(Delivery.LastError), nameof(Delivery.LeaseUntilUtc), nameof(Delivery.NextAttemptUtc), nameof(Delivery.UpdatedUtc)];

    [Fact]
    public async Task A_row_updated_through_the_command_is_stored_exactly_as_SaveChanges_stores_it()
    {
        var fast = await StoreAsync("fast");
        var tracked = await StoreAsync("tracked");
        var when = new DateTime(2026, 12, 6, 1, 2, 3, 456, DateTimeKind.Utc);
        void Change(Delivery d)
        {
            d.State = DeliveryState.Pending;
            d.LastStatus = 503;
            d.LastError = "Service \"unavailable\" ünïcode";
            d.LeaseUntilUtc = null;
            d.NextAttemptUtc = when.AddMinutes(5);
            d.UpdatedUtc = when;
        }

        await portal.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var row = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == fast);
            Change(row);
            await using (var update = new EntityUpdateCommand<Delivery>(db, db.Database.GetDbConnection(), transaction.GetDbTransaction(), Columns))
            {
                await update.UpdateAsync(row, CancellationToken.None);
            }

            var other = await db.Deliveries.SingleAsync(d => d.Id == tracked);
            Change(other);
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            return 0;
        });

        var rows = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.Id == fast || d.Id == tracked).ToDictionaryAsync(d => d.Id));
        foreach (var property in typeof(Delivery).GetProperties().Where(p => p.Name is not nameof(Delivery.Id) and not nameof(Delivery.MessageId) and not nameof(Delivery.TargetName) and not nameof(Delivery.Message)))
        {
            Assert.Equal(property.GetValue(rows[tracked]), property.GetValue(rows[fast]));
        }

        Assert.Equal("fast", rows[fast].TargetName); // a column not named stays as it was

        // Byte for byte: the stored text of the converted and time columns is the same.
        foreach (var column in new[] { "State", "NextAttemptUtc", "UpdatedUtc", "LastStatus" })
        {
            var values = await portal.WithDbAsync(db => db.Database
                .SqlQueryRaw<string>("SELECT CAST(\"" + column + "\" AS TEXT) AS \"Value\" FROM \"Deliveries\" WHERE \"Id\" IN ({0}, {1})", fast, tracked)
                .ToListAsync());
            Assert.Equal(2, values.Count);
            Assert.Equal(values[1], values[0]);
        }
    }

    [Fact]
    public async Task Updating_a_row_that_is_gone_fails_and_changes_nothing()
    {
        var kept = await StoreAsync("kept");
        var ghost = new Delivery { Id = Guid.NewGuid(), TargetKind = DeliveryTargetKind.Webhook, TargetName = "ghost", Url = "http://127.0.0.1/", State = DeliveryState.Delivered };

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => portal.WithDbAsync(async db =>
        {
            await using var update = new EntityUpdateCommand<Delivery>(db, db.Database.GetDbConnection(), null, [nameof(Delivery.State)]);
            await db.Database.OpenConnectionAsync();
            await update.UpdateAsync(ghost, CancellationToken.None);
            return 0;
        }));

        Assert.Equal(DeliveryState.Pending, (await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == kept))).State);
        Assert.Throws<InvalidOperationException>(() => portal.WithDbAsync(db => Task.FromResult(new EntityUpdateCommand<Delivery>(db, db.Database.GetDbConnection(), null, [nameof(Delivery.Id)]))).GetAwaiter().GetResult());
    }

    private Task<Guid> StoreAsync(string name) => portal.WithDbAsync(async db =>
    {
        var message = new Message { Id = Guid.NewGuid(), EventType = "update.test", Payload = "{}", CreatedUtc = DateTime.UtcNow };
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.Parse("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"), TargetName = name,
            Url = "http://127.0.0.1/", NextAttemptUtc = new DateTime(2026, 12, 6, 0, 0, 0, DateTimeKind.Utc), CreatedUtc = new DateTime(2026, 12, 6, 0, 0, 0, DateTimeKind.Utc),
            UpdatedUtc = new DateTime(2026, 12, 6, 0, 0, 0, DateTimeKind.Utc), AttemptCount = 1, LeaseUntilUtc = new DateTime(2026, 12, 6, 0, 1, 0, DateTimeKind.Utc),
        };
        db.Messages.Add(message);
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        return delivery.Id;
    });
}
