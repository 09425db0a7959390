using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// Lets SQLite itself wait for the write lock (<c>PRAGMA busy_timeout</c>: it retries after 1, 2, 5, 10… ms) instead of
/// Microsoft.Data.Sqlite's own retry, which sleeps 150 ms a time on a blocked thread-pool thread: with the publish
/// writer, the delivery attempts and the receiver writing at once, every collision cost a request 150 ms and a thread.
/// Set on every open (a pooled connection keeps it, the statement is cheap).
/// </summary>
public sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    public static readonly SqliteBusyTimeout Instance = new();

    private const string Pragma = "PRAGMA busy_timeout = 30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }
}
