using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// Lets SQLite itself wait for the write lock (<c>busy_timeout</c>: it retries after 1, 2, 5, 10… ms) instead of
/// Microsoft.Data.Sqlite's own retry, which sleeps 150 ms a time on a blocked thread-pool thread: with the publish
/// writer, the delivery attempts and the receiver writing at once, every collision cost a request 150 ms and a thread.
/// Set on every open (a pooled connection keeps it) by a direct call: as a <c>PRAGMA</c> command it was built, parsed
/// and run on each of the ~3 opens per delivery attempt (issue 17).
/// </summary>
public sealed class SqliteBusyTimeout : SqliteConnectionSetting
{
    public static readonly SqliteBusyTimeout Instance = new();

    public const int Milliseconds = 30000;

    protected override int Set(SQLitePCL.sqlite3 handle) => SQLitePCL.raw.sqlite3_busy_timeout(handle, Milliseconds);

    protected override string Pragma => $"PRAGMA busy_timeout = {Milliseconds};";
}

/// <summary>
/// A setting of each SQLite connection the portal's contexts open, made on every open (a pooled connection keeps it,
/// and one new to the pool gets it) by a direct call on the connection's handle.
/// </summary>
public abstract class SqliteConnectionSetting : DbConnectionInterceptor
{
    /// <summary>Makes the setting on the handle; answers SQLite's result code.</summary>
    protected abstract int Set(SQLitePCL.sqlite3 handle);

    /// <summary>The same setting as a statement, for a connection that is not Microsoft.Data.Sqlite's.</summary>
    protected abstract string Pragma { get; }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private void Apply(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            SqliteException.ThrowExceptionForRC(Set(handle), handle);
            return;
        }

        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }
}
