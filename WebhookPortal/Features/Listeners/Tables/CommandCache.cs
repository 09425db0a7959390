using System.Data.Common;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// Commands by SQL text for one transaction (the receiver's batch). Reusing the command object lets
/// the provider reuse its prepared statement; each use sets new values on the same parameter objects. Dispose with the batch.
/// </summary>
public sealed class CommandCache : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> commands = new(StringComparer.Ordinal);

    public DbCommand Get(DbConnection connection, DbTransaction? transaction, string sql)
    {
        if (commands.TryGetValue(sql, out var command))
        {
            // Its parameters stay: the same SQL sets the same ones again (RecordSql.AddParameter sets their values).
            return command;
        }

        command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        commands[sql] = command;
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in commands.Values)
        {
            await command.DisposeAsync();
        }

        commands.Clear();
    }
}
