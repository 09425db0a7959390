using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// Group commit for the delivery engine's two writes per attempt: the lease that claims a due delivery, and the
/// attempt's record (the delivery's new state and its outbound log entry). Every worker hands these to this one loop,
/// which runs all that are waiting in one transaction and answers each caller only after the commit (a group commit,
/// <see cref="GroupCommitLoop{TItem}"/>). On SQLite this turns dozens of write-lock round trips (each a wait for the
/// single writer) into one; on PostgreSQL, one commit per batch. Claims stay exact: each is its own conditional UPDATE
/// (one worker in the whole cluster wins a lease), only the commit is shared. Stopping: the queue is drained before the
/// loop ends, and a write handed over after that is committed by its caller alone.
/// </summary>
public sealed class AttemptRecorder(IDbContextFactory<PortalDbContext> dbFactory, ILogger<AttemptRecorder> logger, WriteGate? gate = null, Microsoft.Extensions.Options.IOptions<LogOptions>? logOptions = null)
    : GroupCommitLoop<AttemptRecorder.Item>(Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true }), MaxBatch, gate, logger)
{
    public const int MaxBatch = 256;

    private volatile bool running;
    private long writes;
    private long commits;

    /// <summary>Claims and records committed since the start (a claim of several deliveries is one).</summary>
    public long Writes => Interlocked.Read(ref writes);

    /// <summary>Transactions those took: far fewer than <see cref="Writes"/> while many attempts run at once.</summary>
    public long Commits => Interlocked.Read(ref commits);

    /// <summary>Whether the loop runs (hosts without the background services write directly).</summary>
    public bool IsRunning => running;

    /// <summary>Claims the lease of a due, pending, unleased delivery and counts the attempt; false when another worker has it or it is not due.</summary>
    public async Task<bool> ClaimAsync(Guid deliveryId, DateTime now, DateTime lease) => (await ClaimAsync([deliveryId], now, lease)).Count == 1;

    /// <summary>Claims several deliveries (a lane's next few) in one go: answers those this caller won.</summary>
    public async Task<IReadOnlySet<Guid>> ClaimAsync(IReadOnlyList<Guid> deliveryIds, DateTime now, DateTime lease)
    {
        var item = new Claim(deliveryIds, now, lease, readRows: false);
        await EnqueueAsync(item);
        return item.Won;
    }

    /// <summary>
    /// Claims several deliveries like <see cref="ClaimAsync(IReadOnlyList{Guid}, DateTime, DateTime)"/>, and reads what their
    /// attempts need (each won delivery with its message, and its webhook when the target is one) in the same
    /// transaction, by one statement for the lot: a share's attempts then skip a read each (issue 17). The rows are
    /// untracked, as they were at the claim's commit; keyed by delivery id, only those won.
    /// </summary>
    public async Task<(IReadOnlySet<Guid> Won, IReadOnlyDictionary<Guid, ClaimedRows> Rows)> ClaimAndReadAsync(IReadOnlyList<Guid> deliveryIds, DateTime now, DateTime lease)
    {
        var item = new Claim(deliveryIds, now, lease, readRows: true);
        await EnqueueAsync(item);
        return (item.Won, item.Rows);
    }

    /// <summary>
    /// Hands back claimed deliveries that will not be attempted (the portal stops): their lease is lifted and their
    /// attempt number goes back, so the sweep takes them at the next start with no retry lost. Only leases still as
    /// this claim set them are touched (one that ran out and was claimed elsewhere is left alone).
    /// </summary>
    public Task HandBackAsync(IReadOnlyList<Guid> deliveryIds, DateTime lease) => EnqueueAsync(new HandBack(deliveryIds, lease));

    /// <summary>
    /// Moves a claimed delivery's lease to <paramref name="renewed"/> if it is still the one this claim set: false when the
    /// lease ran out and another instance claimed the delivery meanwhile (then it is theirs to attempt).
    /// </summary>
    public async Task<bool> RenewAsync(Guid deliveryId, DateTime lease, DateTime renewed)
    {
        var item = new Renew(deliveryId, lease, renewed);
        await EnqueueAsync(item);
        return item.Renewed;
    }

    /// <summary>
    /// Saves what a worker's context tracked for an attempt (the delivery's changes, its log entry, anything a target
    /// staged), and <paramref name="added"/>, a new entity the worker kept out of its context (the attempt's log entry).
    /// The worker's context lets go of the entities; they are attached to the batch's context as they were. Changes
    /// are detected only if the context detects them by itself (a worker that already did turns that off).
    /// </summary>
    public Task SaveAsync(PortalDbContext from, object? added = null)
    {
        var changes = from.ChangeTracker.Entries()
            .Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted)
            .Select(e => new Change(e.Entity, e.State, e.State == EntityState.Modified ? e.Properties.Where(p => p.IsModified).Select(p => p.Metadata.Name).ToArray() : []))
            .ToList();
        if (added is not null)
        {
            changes.Add(new Change(added, EntityState.Added, []));
        }

        from.ChangeTracker.Clear();
        return changes.Count == 0 ? Task.CompletedTask : EnqueueAsync((Item?)Record.Of(changes, from.Model) ?? new Save(changes));
    }

    /// <summary>The claim a worker runs itself when no recorder loop runs, and the recorder runs for it in a batch.</summary>
    public static Task<int> ClaimDirectAsync(PortalDbContext db, Guid deliveryId, DateTime now, DateTime lease, CancellationToken ct = default) =>
        db.Deliveries
            .Where(d => d.Id == deliveryId && d.State == DeliveryState.Pending && d.NextAttemptUtc <= now && (d.LeaseUntilUtc == null || d.LeaseUntilUtc < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntilUtc, lease).SetProperty(d => d.AttemptCount, d => d.AttemptCount + 1), ct);

    private async Task EnqueueAsync(Item item)
    {
        if (!Queue.TryWrite(item))
        {
            // Stopping (the queue is closed): this caller writes alone, as without the loop.
            await CommitAsync([item]);
            return;
        }

        // Once queued, the outcome is awaited whatever happens to the caller: the commit may happen anyway.
        await item.Completion.Task;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        running = true;
        return base.StartAsync(cancellationToken);
    }

    protected override async Task WriteAsync(IReadOnlyList<Item> items)
    {
        // Within the gate's turn (GroupCommitLoop): on SQLite, the writers' own connection with its warm page cache.
        await using var db = await Gate.CreateContextAsync(dbFactory);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        // No savepoint around SaveChanges: a failed batch is rolled back whole (GroupCommitLoop), and on SQLite the
        // savepoint copied every page the batch changed into a statement journal first (issue 17).
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync();
        await using var commands = new BatchCommands(db);
        foreach (var item in items)
        {
            await item.ApplyAsync(db, commands);
        }

        await db.SaveChangesAsync();
        // The attempts' outbound log entries go into the full-text index (SQLite) in the batch that records them once
        // enough wait, as the receiver's do.
        await LogSearchIndex.IndexWrittenAsync(db, logOptions?.Value.SearchIndexBatch ?? new LogOptions().SearchIndexBatch, CancellationToken.None);
        await transaction.CommitAsync();
        Interlocked.Increment(ref commits);
        Interlocked.Add(ref writes, items.Count);
    }

    /// <summary>The commands a batch's records share, prepared once per batch on its connection and transaction.</summary>
    internal sealed class BatchCommands(PortalDbContext db) : IAsyncDisposable
    {
        private readonly Dictionary<string, EntityUpdateCommand<Delivery>> updates = [];
        private EntityInsertCommand<LogEntry>? logInserts;

        public EntityInsertCommand<LogEntry> LogInserts => logInserts ??= new(db, db.Database.GetDbConnection(), Transaction);

        private System.Data.Common.DbTransaction? Transaction => Microsoft.EntityFrameworkCore.Storage.DbContextTransactionExtensions.GetDbTransaction(db.Database.CurrentTransaction!);

        public EntityUpdateCommand<Delivery> UpdateOf(string[] columns)
        {
            var key = string.Join(",", columns);
            if (!updates.TryGetValue(key, out var command))
            {
                updates[key] = command = new EntityUpdateCommand<Delivery>(db, db.Database.GetDbConnection(), Transaction, columns);
            }

            return command;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var command in updates.Values)
            {
                await command.DisposeAsync();
            }

            if (logInserts is not null)
            {
                await logInserts.DisposeAsync();
            }
        }
    }

    public abstract class Item : GroupCommitItem
    {
        /// <summary>Runs (or stages, for the batch's one SaveChanges) this item in the batch's transaction; may run again if the batch is retried.</summary>
        internal abstract Task ApplyAsync(PortalDbContext db, BatchCommands commands);
    }

    private sealed class Claim(IReadOnlyList<Guid> deliveryIds, DateTime now, DateTime lease, bool readRows) : Item
    {
        public HashSet<Guid> Won { get; } = [];

        public Dictionary<Guid, ClaimedRows> Rows { get; } = [];

        internal override async Task ApplyAsync(PortalDbContext db, BatchCommands commands)
        {
            // Run again from the start when the batch is retried (nothing of the failed run was committed).
            Won.Clear();
            Rows.Clear();
            if (deliveryIds.Count == 1)
            {
                if (await ClaimDirectAsync(db, deliveryIds[0], now, lease) == 1)
                {
                    Won.Add(deliveryIds[0]);
                }
            }
            else
            {
                object[] parameters = [lease, now, .. deliveryIds.Cast<object>()];
                Won.UnionWith(await db.Database.SqlQueryRaw<Guid>(ClaimSql(deliveryIds.Count, db.Database.IsSqlite()), parameters).ToListAsync());
            }

            if (readRows && Won.Count > 0)
            {
                // After the claim's update, in its transaction: the rows carry the lease and attempt number it set.
                var share = new ClaimedShare();
                await foreach (var row in ReadClaimed(db, [.. Won]))
                {
                    row.Delivery.Message = row.Message;
                    Rows[row.Delivery.Id] = new ClaimedRows(row.Delivery, row.Webhook, now, share);
                }
            }
        }
    }

    // One statement for a share's rows, compiled once (as the single attempt's read is, DeliveryWorker). Untracked: the
    // batch's context saves only what its records stage.
    private static readonly Func<PortalDbContext, Guid[], IAsyncEnumerable<ClaimedRead>> ReadClaimed =
        EF.CompileAsyncQuery((PortalDbContext db, Guid[] ids) =>
            from d in db.Deliveries.AsNoTracking()
            where ids.Contains(d.Id)
            join w in db.Webhooks on d.TargetId equals w.Id into webhooks
            from w in webhooks.DefaultIfEmpty()
            select new ClaimedRead(d, d.Message!, w));

    private sealed record ClaimedRead(Delivery Delivery, Message Message, Webhooks.Webhook? Webhook);

    /// <summary>
    /// A runner's share in one statement: the same condition as <see cref="ClaimDirectAsync"/>, and RETURNING names
    /// exactly the rows this statement updated (those another claim holds or that are no longer due are not among them).
    /// Parameters: {0} the lease, {1} now, {2}… the delivery ids. Only numbered placeholders are put into the text.
    /// </summary>
    internal static string ClaimSql(int count, bool sqlite)
    {
        // SQLite has no statistics here and guessed that (State, NextAttemptUtc) narrows more than the ids: each claim
        // then read every due delivery's row (2 ms a claim with 8,000 waiting, the drain's largest statement, issue 17).
        // A unary + keeps those columns out of index selection, so the ids are looked up by the primary key.
        var column = sqlite ? "+" : "";
        var placeholders = string.Join(", ", Enumerable.Range(0, count).Select(i => "{" + (i + 2) + "}"));
        return "UPDATE \"Deliveries\" SET \"LeaseUntilUtc\" = {0}, \"AttemptCount\" = \"AttemptCount\" + 1 " +
            $"WHERE \"Id\" IN ({placeholders}) AND {column}\"State\" = 'pending' AND {column}\"NextAttemptUtc\" <= {{1}} AND (\"LeaseUntilUtc\" IS NULL OR \"LeaseUntilUtc\" < {{1}}) " +
            "RETURNING \"Id\" AS \"Value\"";
    }

    /// <summary>
    /// Lifts the leases a claim set ({0}) on the deliveries given ({1}…) that are still pending under it, and takes their
    /// attempt back. On SQLite the ids are looked up by the primary key, as in <see cref="ClaimSql"/> (the State index
    /// would read every pending delivery, once per runner handing back at a stop).
    /// </summary>
    internal static string HandBackSql(int count, bool sqlite)
    {
        var column = sqlite ? "+" : "";
        var placeholders = string.Join(", ", Enumerable.Range(0, count).Select(i => "{" + (i + 1) + "}"));
        return "UPDATE \"Deliveries\" SET \"LeaseUntilUtc\" = NULL, \"AttemptCount\" = \"AttemptCount\" - 1 " +
            $"WHERE \"Id\" IN ({placeholders}) AND {column}\"State\" = 'pending' AND {column}\"LeaseUntilUtc\" = {{0}}";
    }

    private sealed class HandBack(IReadOnlyList<Guid> deliveryIds, DateTime lease) : Item
    {
        internal override async Task ApplyAsync(PortalDbContext db, BatchCommands commands)
        {
            if (deliveryIds.Count == 0)
            {
                return;
            }

            object[] parameters = [lease, .. deliveryIds.Cast<object>()];
            await db.Database.ExecuteSqlRawAsync(HandBackSql(deliveryIds.Count, db.Database.IsSqlite()), parameters);
        }
    }

    private sealed class Renew(Guid deliveryId, DateTime lease, DateTime renewed) : Item
    {
        public bool Renewed { get; private set; }

        internal override async Task ApplyAsync(PortalDbContext db, BatchCommands commands)
        {
            Renewed = await db.Deliveries
                .Where(d => d.Id == deliveryId && d.State == DeliveryState.Pending && d.LeaseUntilUtc == lease)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntilUtc, renewed)) == 1;
        }
    }

    private sealed record Change(object Entity, EntityState State, string[] Modified);

    /// <summary>
    /// An attempt's plain record (its delivery's changed columns and its log entry), written by commands kept for the
    /// batch: the delivery engine's most frequent write. SaveChanges tracked, attached and built statements for it
    /// anew in every batch (~10 % of the drain's CPU, issue 17). Anything else goes through <see cref="Save"/>.
    /// </summary>
    private sealed class Record(Delivery delivery, string[] modified, LogEntry log) : Item
    {
        /// <summary>The record when the changes are exactly a delivery's mapped columns and one new log entry; otherwise null.</summary>
        public static Record? Of(List<Change> changes, Microsoft.EntityFrameworkCore.Metadata.IModel model)
        {
            if (changes.Count != 2
                || changes.Find(c => c is { Entity: Delivery, State: EntityState.Modified, Modified.Length: > 0 }) is not { } update
                || changes.Find(c => c is { Entity: LogEntry, State: EntityState.Added }) is not { } insert)
            {
                return null;
            }

            var delivery = model.FindEntityType(typeof(Delivery))!;
            return update.Modified.All(name => delivery.FindProperty(name) is { PropertyInfo: not null } p && !p.IsPrimaryKey())
                ? new Record((Delivery)update.Entity, update.Modified, (LogEntry)insert.Entity)
                : null;
        }

        internal override async Task ApplyAsync(PortalDbContext db, BatchCommands commands)
        {
            await commands.UpdateOf(modified).UpdateAsync(delivery, CancellationToken.None);
            await commands.LogInserts.InsertAsync(log, CancellationToken.None);
        }
    }

    private sealed class Save(List<Change> changes) : Item
    {
        internal override Task ApplyAsync(PortalDbContext db, BatchCommands commands)
        {
            foreach (var change in changes)
            {
                var entry = db.Entry(change.Entity);
                entry.State = change.State == EntityState.Modified ? EntityState.Unchanged : change.State;
                foreach (var property in change.Modified)
                {
                    entry.Property(property).IsModified = true;
                }
            }

            return Task.CompletedTask;
        }
    }
}
