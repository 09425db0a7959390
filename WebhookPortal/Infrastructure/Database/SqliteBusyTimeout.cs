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
public sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    public static readonly SqliteBusyTimeout Instance = new();

    public const int Milliseconds = 30000;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_busy_timeout(handle, Milliseconds), handle);
            return;
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {Milliseconds};";
        command.ExecuteNonQuery();
    }
}
