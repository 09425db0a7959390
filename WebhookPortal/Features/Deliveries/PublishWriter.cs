using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// Group commit for published messages: every publish hands its staged message and deliveries to this one loop, which
/// writes up to <see cref="MaxBatch"/> waiting publishes in one transaction, answers each caller only after the commit
/// (a 202 means the rows are durable), then hands the deliveries to the in-process <see cref="DeliveryDispatcher"/> (a
/// lost hand-over is covered by the rows: the minutely sweep and the sweep at start take every due pending delivery).
/// Stopping: new publishes are refused (503), the queued ones are written before the loop ends.
/// </summary>
public sealed class PublishWriter(IDbContextFactory<PortalDbContext> dbFactory, DeliveryDispatcher dispatcher, ILogger<PublishWriter> logger, WriteGate? gate = null)
    : GroupCommitLoop<PublishWriter.Item>(Channel.CreateBounded<Item>(new BoundedChannelOptions(8192) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }), MaxBatch, gate, logger)
{
    public const int MaxBatch = 256;

    /// <summary>Writes the message and its deliveries; returns once they are committed, throws if they are not.</summary>
    public async Task PublishAsync(Message message, IReadOnlyList<Delivery> deliveries, CancellationToken ct = default)
    {
        var item = new Item(message, deliveries);
        try
        {
            await Queue.WriteAsync(item, ct);
        }
        catch (ChannelClosedException)
        {
            throw new UnavailableException("The portal is stopping; publish again in a moment.");
        }

        // Once queued, the outcome is awaited whatever the caller's token says: the commit may happen anyway.
        await item.Completion.Task;
    }

    protected override async Task WriteAsync(IReadOnlyList<Item> items)
    {
        // Within the gate's turn (GroupCommitLoop): on SQLite, the writers' own connection with its warm page cache.
        await using var db = await Gate.CreateContextAsync(dbFactory);
        // Two prepared inserts, not SaveChanges: its change tracking, command building and ordering were ~80 % of this
        // turn, which every other writer waits for (issue 17: SaveChanges was 6.5 % of the portal's CPU under publish).
        // A failed batch is rolled back whole (GroupCommitLoop) and written again one publish at a time.
        await using var transaction = await db.Database.BeginTransactionAsync();
        var connection = db.Database.GetDbConnection();
        var dbTransaction = transaction.GetDbTransaction();
        await using var messages = new EntityInsertCommand<Message>(db, connection, dbTransaction);
        await using var deliveries = new EntityInsertCommand<Delivery>(db, connection, dbTransaction);
        foreach (var item in items)
        {
            await messages.InsertAsync(item.Message, CancellationToken.None);
            foreach (var delivery in item.Deliveries)
            {
                await deliveries.InsertAsync(delivery, CancellationToken.None);
            }
        }

        await transaction.CommitAsync();
    }

    protected override void AfterCommit(IReadOnlyList<Item> items)
    {
        foreach (var delivery in items.SelectMany(i => i.Deliveries))
        {
            try
            {
                dispatcher.Queue(delivery.Id, delivery.TargetId);
            }
            catch (Exception ex)
            {
                // Committed: the sweep hands it over within a minute.
                logger.LogWarning(ex, "Could not start delivery {DeliveryId}; the sweep will.", delivery.Id);
            }
        }
    }

    public sealed class Item(Message message, IReadOnlyList<Delivery> deliveries) : GroupCommitItem
    {
        public Message Message { get; } = message;

        public IReadOnlyList<Delivery> Deliveries { get; } = deliveries;
    }
}
