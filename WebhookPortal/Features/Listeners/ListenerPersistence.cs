using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// Loading, versioning and saving a listener the same way in every listener service (catalog, tokens,
/// table designer, records, scripts), each on the context it created for the operation.
/// </summary>
internal static class ListenerPersistence
{
    public static async Task<Listener> FindAsync(PortalDbContext db, Guid id, CancellationToken ct) =>
        await db.Listeners.FirstOrDefaultAsync(l => l.Id == id, ct) ?? throw new NotFoundException($"No listener with id {id}.");

    /// <summary>Saves; a unique-name violation (a concurrent create or rename) answers 409.</summary>
    public static async Task SaveAsync(PortalDbContext db, string name, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            throw new ConflictException($"The integration already has a listener named '{name}'.");
        }
    }

    /// <summary>
    /// Marks a change: <c>UpdatedUtc</c> is the listener's version for optimistic concurrency, so it always moves
    /// forward (by a microsecond when the clock has not), at the microsecond precision both databases keep.
    /// </summary>
    public static void Touch(Listener listener, TimeProvider time)
    {
        var now = ToMicroseconds(time.GetUtcNow().UtcDateTime);
        var previous = ToMicroseconds(listener.UpdatedUtc);
        listener.UpdatedUtc = new DateTime(Math.Max(now, previous + 1) * 10, DateTimeKind.Utc);
    }

    /// <summary>
    /// Loads the listener, applies <paramref name="change"/> (which may refuse by throwing), marks it, saves it and drops
    /// it from the receiver's cache: how a token or signing secret is rotated or expired.
    /// </summary>
    public static async Task<Listener> ChangeAsync(
        IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory directory, TimeProvider time, Guid id, Action<Listener> change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var listener = await FindAsync(db, id, ct);
        change(listener);
        Touch(listener, time);
        await SaveAsync(db, listener.Name, ct);
        directory.Invalidate(id);
        return listener;
    }

    public static long ToMicroseconds(DateTime value) =>
        (value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value).Ticks / 10;

    /// <summary>Runs one statement (DDL) on the context's connection, in its current transaction if any.</summary>
    public static async Task ExecuteAsync(PortalDbContext db, string sql, CancellationToken ct)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }
}
