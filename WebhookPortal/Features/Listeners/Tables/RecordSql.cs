using System.Data.Common;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// The SQL plumbing <see cref="RecordWriter"/> and <see cref="RecordReader"/> share, so both build commands,
/// parameters, table names and key conditions the same way (and hit the same cached commands).
/// </summary>
internal static class RecordSql
{
    /// <summary>A command for <paramref name="sql"/>: from the batch's cache when there is one, else a new one.</summary>
    public static CommandLease Command(DbConnection connection, DbTransaction? transaction, CommandCache? commands, string sql)
    {
        if (commands is not null)
        {
            return new CommandLease(commands.Get(connection, transaction, sql), Owned: false);
        }

        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return new CommandLease(command, Owned: true);
    }

    public static void AddParameter(DbCommand command, string name, object? value)
    {
        // A command reused from the batch's CommandCache keeps its parameter objects and gets new values: Npgsql binds
        // a prepared (or auto-prepared) command's parameters by instance and would send old values if they were
        // replaced (npgsql/npgsql#3850).
        var index = command.Parameters.IndexOf(name);
        if (index >= 0)
        {
            command.Parameters[index].Value = value ?? DBNull.Value;
            return;
        }

        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>The quoted physical name of one of the listener's tables.</summary>
    public static string Table(SqlDialect dialect, Guid listenerId, TableDef table) => dialect.Quote(SqlDialect.PhysicalName(listenerId, table.Name));

    /// <summary>The root key condition, with parameters <c>@k0</c>, <c>@k1</c>… in key column order.</summary>
    public static string KeyWhere(SqlDialect dialect, TableSchema schema) =>
        string.Join(" AND ", schema.KeyColumns.Select((c, i) => $"{dialect.Quote(c.Name)} = @k{i}"));
}
