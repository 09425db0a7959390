using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Telemetry;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// Group commit: SQLite has one writer, so every receiver write goes through this single loop,
/// which commits many requests in one transaction (one fsync) and answers each request only after
/// its batch committed. A failing item is rolled back to its savepoint and does not fail its
/// neighbours. The request-log entry is written in the same transaction as the data.
/// </summary>
public sealed class ReceiverWriter(IServiceScopeFactory scopes, TimeProvider time, ILogger<ReceiverWriter> logger, WriteGate? gate = null) : BackgroundService
{
    private const int MaxBatch = 256;
    private const int MaxBatchAttempts = 5;

    private readonly Channel<WriteItem> queue = Channel.CreateBounded<WriteItem>(new BoundedChannelOptions(8192)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public async Task<WriteOutcome> WriteAsync(WriteItem item, CancellationToken ct)
    {
        await queue.Writer.WriteAsync(item, ct);
        return await item.Completion.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<WriteItem>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            await CommitBatchAsync(batch, stoppingToken);
        }
    }

    private async Task CommitBatchAsync(List<WriteItem> batch, CancellationToken ct)
    {
        // The errors set before the batch (a request refused by the pipeline), restored if the batch runs again.
        var refusals = batch.Select(item => item.Log.Error).ToArray();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using (await (gate ?? WriteGate.None).EnterAsync(ct))
                {
                    await TryCommitBatchAsync(batch, ct);
                }

                return;
            }
            catch (TransientBatchException ex) when (attempt < MaxBatchAttempts)
            {
                // Portals sharing a PostgreSQL database lock rows in different orders (records, the usage counter):
                // the database breaks a deadlock by failing one transaction, which is run again whole. Nothing was
                // committed and no request was answered, so running it again is safe.
                logger.LogInformation("A receiver batch of {Count} requests met a transient database error ({Reason}); running it again (attempt {Attempt}).", batch.Count, ex.InnerException?.Message, attempt + 1);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Log.Error = refusals[i];
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 50) * attempt), ct);
            }
            catch (TransientBatchException ex)
            {
                logger.LogError(ex.InnerException, "A receiver batch of {Count} requests could not be committed after {Attempts} attempts.", batch.Count, attempt);
                foreach (var item in batch)
                {
                    PortalTelemetry.BatchFailed(item);
                    item.Completion.TrySetException(ex.InnerException!);
                }

                return;
            }
        }
    }

    private async Task TryCommitBatchAsync(List<WriteItem> batch, CancellationToken ct)
    {
        var outcomes = new WriteOutcome[batch.Count];
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var context = new WriteContext(db, db.Database.GetDbConnection(), transaction.GetDbTransaction(), SqlDialect.For(db.Database.IsSqlite()));
            await using var commands = context.Commands;
            await using var logInserts = new EntityInsertCommand<LogEntry>(db, context.Connection, context.Transaction);
            var handlers = scope.ServiceProvider.GetServices<IRecordChangeHandler>().ToArray();

            for (var i = 0; i < batch.Count; i++)
            {
                using var write = PortalTelemetry.StartWrite(batch[i], batch.Count);
                context.Changes.Clear();
                outcomes[i] = await ApplyAsync(batch[i], context, ct);
                PortalTelemetry.Written(write, outcomes[i]);
                if (outcomes[i].Succeeded && !outcomes[i].Duplicate && batch[i].Apply is not null && batch[i].Log is { IntegrationId: { } integrationId, SourceId: { } listenerId })
                {
                    // Other features react to accepted requests (usage meters, event triggers) in this same
                    // transaction (transactional outbox).
                    var accepted = new AcceptedRequest(integrationId, listenerId, time.GetUtcNow().UtcDateTime, context.Changes.ToArray());
                    foreach (var handler in handlers)
                    {
                        await handler.OnAcceptedAsync(accepted, ct);
                    }
                }

                batch[i].Log.Status = outcomes[i].Status;
                batch[i].Log.State = outcomes[i].Succeeded ? LogState.Success : LogState.Error;
                batch[i].Log.Error ??= outcomes[i].Error;
                await logInserts.InsertAsync(batch[i].Log, ct);
            }

            await db.SaveChangesAsync(ct);
            // Once enough wait, the entries go into the full-text index (SQLite) in this same transaction: indexed later
            // in a transaction of their own, they made this writer wait 100-300 ms behind it (issue 17).
            await LogSearchIndex.IndexWrittenAsync(db, scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<LogOptions>>().Value.SearchIndexBatch, ct);

            await transaction.CommitAsync(ct);
            PortalTelemetry.RecordBatch(batch.Count, started);
            foreach (var handler in handlers)
            {
                try
                {
                    handler.AfterCommit();
                }
                catch (Exception ex)
                {
                    // What was committed is not lost: the sweeps hand it to Hangfire within a minute.
                    logger.LogWarning(ex, "{Handler} could not start what the batch staged; the sweep will.", handler.GetType().Name);
                }
            }
        }
        catch (Exception ex) when (ex is TransientBatchException || (TransientFailure.IsTransient(ex) && !ct.IsCancellationRequested))
        {
            throw ex as TransientBatchException ?? new TransientBatchException(ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(ex, "A receiver batch of {Count} requests could not be committed.", batch.Count);
            foreach (var item in batch)
            {
                PortalTelemetry.BatchFailed(item);
                item.Completion.TrySetException(ex);
            }

            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(outcomes[i]);
        }
    }


    // The item's savepoint, as commands kept for the batch (SQLite and PostgreSQL spell them alike): EF Core's savepoint
    // API built, logged and ran a new command each time, three per request on the one writer (issue 17).
    private static async Task SavepointAsync(WriteContext context, string sql, CancellationToken ct) =>
        await context.Commands.Get(context.Connection, context.Transaction, sql).ExecuteNonQueryAsync(ct);

    private async Task<WriteOutcome> ApplyAsync(WriteItem item, WriteContext context, CancellationToken ct)
    {
        if (item.Apply is null)
        {
            // Only a log entry (a request refused before any write).
            return new WriteOutcome(item.Log.Status, new { }, item.Log.Error);
        }

        await SavepointAsync(context, "SAVEPOINT item", ct);
        try
        {
            var outcome = await item.Apply(context, ct);
            if (!outcome.Succeeded)
            {
                await SavepointAsync(context, "ROLLBACK TO SAVEPOINT item", ct);
            }

            await SavepointAsync(context, "RELEASE SAVEPOINT item", ct);
            return outcome;
        }
        catch (Exception ex) when (TransientFailure.IsTransient(ex))
        {
            // A deadlock or serialization failure is not this item's fault: the whole batch runs again.
            throw new TransientBatchException(ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await SavepointAsync(context, "ROLLBACK TO SAVEPOINT item", ct);
            await SavepointAsync(context, "RELEASE SAVEPOINT item", ct);
            return ReceiverErrors.FromException(ex, logger);
        }
    }
}

/// <summary>A batch failed on a transient database error (deadlock, serialization failure) and may run again whole.</summary>
internal sealed class TransientBatchException(Exception inner) : Exception("A transient database error failed the batch.", inner);
