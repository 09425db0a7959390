using System.Data.Common;
using System.Threading.Channels;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>One write handed to a <see cref="GroupCommitLoop{TItem}"/>; its caller awaits <see cref="Completion"/>.</summary>
public abstract class GroupCommitItem
{
    /// <summary>Set after the item's batch committed, or with the exception that stopped the item.</summary>
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Group commit: many callers hand their writes to this one loop, which writes up to <c>maxBatch</c> waiting items in
/// one transaction (one write lock and one fsync instead of one each) and completes each item only after the commit.
/// A batch that fails is written again one item at a time, so a bad item fails only its own caller; a transient
/// failure (a PostgreSQL deadlock or serialization failure: nothing was committed) is run again whole. Stopping: the
/// queue is closed to new items and the loop writes what was queued before it ends.
/// </summary>
public abstract class GroupCommitLoop<TItem>(Channel<TItem> queue, int maxBatch, WriteGate? gate, ILogger logger) : BackgroundService
    where TItem : GroupCommitItem
{
    protected ChannelWriter<TItem> Queue => queue.Writer;

    /// <summary>The gate whose turn <see cref="WriteAsync"/> runs in.</summary>
    protected WriteGate Gate { get; } = gate ?? WriteGate.None;

    /// <summary>Writes the items in one transaction and commits it, or throws (nothing committed). May run again for the same items.</summary>
    protected abstract Task WriteAsync(IReadOnlyList<TItem> items);

    /// <summary>After the commit and the items' completion: what follows it (starting what was committed).</summary>
    protected virtual void AfterCommit(IReadOnlyList<TItem> items)
    {
    }

    /// <summary>Writes and commits the items (again on a transient failure), then completes them; throws if they were not committed.</summary>
    protected async Task CommitAsync(IReadOnlyList<TItem> items)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using (await Gate.EnterAsync())
                {
                    await WriteAsync(items);
                }

                break;
            }
            catch (Exception ex) when (attempt < 3 && TransientFailure.IsTransient(ex))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 50) * attempt));
            }
        }

        foreach (var item in items)
        {
            item.Completion.TrySetResult();
        }

        try
        {
            AfterCommit(items);
        }
        catch (Exception ex)
        {
            // Committed and answered: what follows must not make the loop write the items again.
            logger.LogError(ex, "What follows a commit of {Count} writes failed.", items.Count);
        }
    }

    /// <summary>Closes the queue to new items, then lets the loop write what is queued (up to the host's shutdown timeout).</summary>
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
        var batch = new List<TItem>(maxBatch);
        while (await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < maxBatch && queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                await CommitAsync(batch);
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                logger.LogWarning(ex, "A batch of {Count} writes failed; writing them one at a time.", batch.Count);
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
            }
            catch (Exception ex)
            {
                batch[0].Completion.TrySetException(ex);
            }
        }
    }
}
