using System.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// SQLite only: one long-lived connection for the group-commit writers that take turns at the <see cref="WriteGate"/>
/// (the publish writer, the attempt recorder). A pooled connection's page cache is thrown away whenever another
/// connection has written since it last read, so each batch used to start by reading every page it touched back from
/// the file: <c>pread</c> was ~19 % of the portal's CPU samples while draining deliveries. The writers' own commits do
/// not invalidate this connection's cache, so it stays warm from batch to batch. Used within a turn only, one writer at
/// a time; a connection found closed (after a failure) is opened again.
/// </summary>
public sealed class SqliteWriterConnection(string connectionString, Func<PortalDbContext> newContext) : IDisposable
{
    /// <summary>The page cache of this one connection, in KiB (negative: SQLite's unit for a size): enough for the hot index pages.</summary>
    public const int CacheKiB = 32 * 1024;

    private SqliteConnection? connection;

    /// <summary>Opened connections so far: 1 while it stays healthy.</summary>
    public int Opened { get; private set; }

    /// <summary>Contexts handed out so far (one per batch of a writer).</summary>
    public long Contexts { get; private set; }

    /// <summary>A context on the writers' connection; the caller holds the gate's turn and disposes the context (the connection stays open).</summary>
    public PortalDbContext CreateContext()
    {
        if (connection is not { State: ConnectionState.Open })
        {
            connection?.Dispose();
            connection = new SqliteConnection(connectionString);
            connection.Open();
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = $"PRAGMA busy_timeout = 30000; PRAGMA cache_size = -{CacheKiB};";
            pragmas.ExecuteNonQuery();
            Opened++;
        }

        Contexts++;
        var db = newContext();
        db.Database.SetDbConnection(connection, contextOwnsConnection: false);
        return db;
    }

    /// <summary>Closes the connection (the host stops); a later turn would open a new one.</summary>
    public void Dispose()
    {
        connection?.Dispose();
        connection = null;
    }
}
