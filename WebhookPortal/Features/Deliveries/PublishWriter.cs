using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// Group commit for published messages: every publish hands its staged message and deliveries to this one loop, which
/// writes up to <see cref="MaxBatch"/> waiting publishes in one transaction (one fsync, one SQLite write lock instead of
/// one per request), answers each caller only after the commit (a 202 means the rows are durable), then hands the
/// deliveries to the in-process <see cref="DeliveryDispatcher"/> (a lost hand-over is covered by the rows: the minutely
/// sweep and the sweep at start take every due pending delivery). A batch that fails is written again one publish at a
/// time, so a bad publish fails only its own caller. Stopping: new publishes are refused (503), the queued ones are
/// written before the loop ends.
/// </summary>
public sealed class PublishWriter(IDbContextFactory<PortalDbContext> dbFactory, DeliveryDispatcher dispatcher, ILogger<PublishWriter> logger) : BackgroundService
{
    public const int MaxBatch = 256;

    private readonly Channel<Item> queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(8192)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Writes the message and its deliveries; returns once they are committed, throws if they are not.</summary>
    public async Task PublishAsync(Message message, IReadOnlyList<Delivery> deliveries, CancellationToken ct = default)
    {
        var item = new Item(message, deliveries);
        try
        {
            await queue.Writer.WriteAsync(item, ct);
        }
        catch (ChannelClosedException)
        {
            throw new UnavailableException("The portal is stopping; publish again in a moment.");
        }

        // Once queued, the outcome is awaited whatever the caller's token says: the commit may happen anyway.
        await item.Completion.Task;
    }

    /// <summary>Refuses new publishes, then lets the loop write what is queued (up to the host's shutdown timeout).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        if (ExecuteTask is { } loop)
        {
            await loop.WaitAsync(cancellationToken);
        }

        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not the stopping token: the queue is drained after a stop, and ends when the writer side is completed.
        var batch = new List<Item>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                await WriteAsync(batch);
            }
            catch (Exception ex)
            {
                // WriteAsync completes every item itself; this is a last guard so that the loop never dies.
                logger.LogError(ex, "The publish writer failed on a batch of {Count}.", batch.Count);
                foreach (var item in batch)
                {
                    item.Completion.TrySetException(ex);
                }
            }
        }
    }

    private async Task WriteAsync(List<Item> batch)
    {
        try
        {
            await CommitAsync(batch);
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            logger.LogWarning(ex, "A publish batch of {Count} failed; writing its messages one at a time.", batch.Count);
            foreach (var item in batch)
            {
                try
                {
                    await CommitAsync([item]);
                }
                catch (Exception one)
                {
                    item.Completion.TrySetException(one);
                }
            }

            return;
        }
        catch (Exception ex)
        {
            batch[0].Completion.TrySetException(ex);
        }
    }

    private async Task CommitAsync(List<Item> items)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync();
                db.ChangeTracker.AutoDetectChangesEnabled = false;
                await using var transaction = await db.Database.BeginTransactionAsync();
                foreach (var item in items)
                {
                    db.Messages.Add(item.Message);
                    db.Deliveries.AddRange(item.Deliveries);
                }

                await db.SaveChangesAsync();
                await transaction.CommitAsync();
                break;
            }
            catch (Exception ex) when (attempt < 3 && IsTransient(ex))
            {
                // A deadlock or serialization failure (PostgreSQL) is nobody's fault: nothing was committed, run it again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 50) * attempt));
            }
        }

        foreach (var item in items)
        {
            item.Completion.TrySetResult();
        }

        foreach (var item in items)
        {
            foreach (var delivery in item.Deliveries)
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
    }

    private static bool IsTransient(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Item(Message message, IReadOnlyList<Delivery> deliveries)
    {
        public Message Message { get; } = message;

        public IReadOnlyList<Delivery> Deliveries { get; } = deliveries;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
