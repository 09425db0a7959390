using System.Data.Common;
using Microsoft.Data.Sqlite;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners.Tables;

/// <summary>
/// The receiver's batch reuses one command per SQL text. On PostgreSQL with Npgsql's automatic preparation
/// (<c>Max Auto Prepare</c>), replacing a prepared command's parameter objects made it send the old values
/// (npgsql/npgsql#3850): every second insert of a record's child rows hit a duplicate key.
/// </summary>
public sealed class CommandReuseTests
{
    [Fact]
    public async Task A_reused_command_sends_each_uses_own_values_even_when_the_provider_prepares_it()
    {
        await using var connection = await OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TEMPORARY TABLE reuse_probe (k bigint PRIMARY KEY, v text)";
            await create.ExecuteNonQueryAsync();
        }

        await using (var commands = new CommandCache())
        {
            for (var i = 0; i < 10; i++)
            {
                await using var lease = RecordSql.Command(connection, null, commands, "INSERT INTO reuse_probe (k, v) VALUES (@k, @v)");
                RecordSql.AddParameter(lease.Command, "@k", (long)i);
                RecordSql.AddParameter(lease.Command, "@v", i % 3 == 0 ? null : "value " + i);
                await lease.Command.ExecuteNonQueryAsync();
                Assert.Equal(2, lease.Command.Parameters.Count);
            }
        }

        var rows = new List<(long K, string? V)>();
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT k, v FROM reuse_probe ORDER BY k";
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => ((long)i, i % 3 == 0 ? null : "value " + i)), rows);
    }

    // PostgreSQL (the test run's server, automatic preparation after two uses) or SQLite in memory.
    private static async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = PortalFactory.PostgresServer is { } server
            ? new Npgsql.NpgsqlConnection(server + ";Database=postgres;Max Auto Prepare=10;Auto Prepare Min Usages=2;Pooling=false")
            : new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        return connection;
    }
}
