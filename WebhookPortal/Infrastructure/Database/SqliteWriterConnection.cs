using System.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using WebhookPortal.Data;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// SQLite only: one long-lived connection for the group-commit writers that take turns at the <see cref="WriteGate"/>
/// (the publish writer, the attempt recorder). A pooled connection's page cache is thrown away whenever another
/// connection has written since it last read, so each batch used to start by reading every page it touched back from
/// the file: <c>pread</c> was ~19 % of the portal's CPU samples while draining deliveries. The writers' own commits do
/// not invalidate this connection's cache, so it stays warm from batch to batch. Used within a turn only, one writer at
/// a time. A connection found closed, or still inside a transaction that a failed batch could not roll back, is
/// replaced by a new one.
/// </summary>
/// <param name="options">The portal's own context options (interceptors, services); each connection gets a copy with it.</param>
public sealed class SqliteWriterConnection(string connectionString, DbContextOptions<SqlitePortalDbContext> options) : IDisposable
{
    /// <summary>The page cache of this one connection, in KiB: enough for the hot index pages, and bounded.</summary>
    public const int CacheKiB = 32 * 1024;

    // One writer at a time uses the connection; a few contexts cover one being disposed while the next turn starts.
    private const int PoolSize = 4;

    private SqliteConnection? connection;
    // Contexts on this connection are pooled: building a context's services anew for every batch was ~2 % of the drain's
    // CPU (issue 17). A returned context is reset by EF Core (tracker cleared, settings back); the connection stays open.
    private PooledDbContextFactory<SqlitePortalDbContext>? contexts;
    private bool disposed;

    /// <summary>Opened connections so far: 1 while it stays healthy.</summary>
    public int Opened { get; private set; }

    /// <summary>Contexts handed out so far (one per batch of a writer).</summary>
    public long Contexts { get; private set; }

    /// <summary>A context on the writers' connection; the caller holds the gate's turn and disposes the context (the connection stays open).</summary>
    public PortalDbContext CreateContext()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (connection is not { State: ConnectionState.Open } || SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
        {
            Replace();
        }

        Contexts++;
        return contexts!.CreateDbContext();
    }

    private void Replace()
    {
        if (connection is { State: ConnectionState.Open } && SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
        {
            // Closing returns the handle to Microsoft.Data.Sqlite's pool: never one still inside a transaction.
            try
            {
                using var rollback = connection.CreateCommand();
                rollback.CommandText = "ROLLBACK";
                rollback.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                SqliteConnection.ClearPool(connection);
            }
        }

        connection?.Dispose();
        connection = null;
        var opened = new SqliteConnection(connectionString);
        try
        {
            opened.Open();
            // Busy timeout as everywhere; automatic checkpoint off as on every portal connection (SqliteCheckpointer).
            using (var pragmas = opened.CreateCommand())
            {
                pragmas.CommandText = $"PRAGMA busy_timeout = 30000; PRAGMA cache_size = -{CacheKiB}; PRAGMA wal_autocheckpoint = 0;";
                pragmas.ExecuteNonQuery();
            }

            // Given in the options (not set on a context afterwards), so that EF Core registers its SQLite functions on it.
            contexts = new PooledDbContextFactory<SqlitePortalDbContext>(new DbContextOptionsBuilder<SqlitePortalDbContext>(options).UseSqlite(opened).Options, PoolSize);
        }
        catch
        {
            opened.Dispose();
            throw;
        }

        connection = opened;
        Opened++;
    }

    /// <summary>Closes the connection (the host stops); later turns are refused.</summary>
    public void Dispose()
    {
        disposed = true;
        connection?.Dispose();
        connection = null;
    }
}
