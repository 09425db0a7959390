using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// Messages and deliveries get time-ordered ids (UUID version 7): made later sorts later, as text (SQLite stores them so)
/// and as a value, so that rows made together share index pages (issue 17).
/// </summary>
public sealed class TimeOrderedIdsTests
{
    [Fact]
    public async Task Messages_and_deliveries_made_later_have_ids_that_sort_later()
    {
        var outbox = new DeliveryOutbox(new NoDatabase(), new Support.RecordingJobClient(), new ServiceCollection().BuildServiceProvider(), TimeProvider.System, NullLogger<DeliveryOutbox>.Instance);
        var target = new DeliveryRequest(DeliveryTargetKind.Webhook, Guid.NewGuid(), "hook", "https://hooks.example.com/h");

        var (first, firstDeliveries) = outbox.Create(null, "order.created", "{}", [target, target]);
        await Task.Delay(5);
        var (second, secondDeliveries) = outbox.Create(null, "order.created", "{}", [target]);

        Guid[] ids = [first.Id, firstDeliveries[0].Id, firstDeliveries[1].Id, second.Id, secondDeliveries[0].Id];
        Assert.All(ids, id => Assert.Equal(7, id.Version));
        Assert.True(string.CompareOrdinal(first.Id.ToString(), second.Id.ToString()) < 0);
        Assert.True(first.Id.CompareTo(second.Id) < 0);
        Assert.True(string.CompareOrdinal(firstDeliveries[1].Id.ToString(), secondDeliveries[0].Id.ToString()) < 0);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        // A message id given by the caller (a portal event's, a usage notice's) is kept as given.
        var given = Guid.NewGuid();
        Assert.Equal(given, outbox.Create(null, "order.created", "{}", [target], given).Message.Id);
    }

    private sealed class NoDatabase : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => throw new InvalidOperationException("Creating a message reads nothing.");
    }
}
