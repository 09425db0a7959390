using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Logs;

/// <summary>
/// A migrated database and a <see cref="LogService"/> on it, without a running portal: in-memory SQLite, or a database of
/// its own on the PostgreSQL server that PORTAL_TEST_POSTGRES names (the full-text index differs between the two).
/// </summary>
public sealed class LogSearchDatabase : IDbContextFactory<PortalDbContext>, IDisposable
{
    private static readonly IServiceProvider IdentityServices = new ServiceCollection()
        .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
        .BuildServiceProvider();

    private readonly Microsoft.Data.Sqlite.SqliteConnection? sqlite;
    private readonly string? postgres;
    private readonly string name = "wp_logs_" + Guid.NewGuid().ToString("N")[..12];

    /// <param name="migrateTo">The migration to stop at (null: all of them).</param>
    public LogSearchDatabase(string? migrateTo = null)
    {
        if (PortalFactory.PostgresServer is not { } server)
        {
            sqlite = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
            sqlite.Open();
        }
        else
        {
            using (var connection = new Npgsql.NpgsqlConnection(server + ";Database=postgres"))
            {
                connection.Open();
                using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                create.ExecuteNonQuery();
            }

            postgres = server + ";Database=" + name;
        }

        using var db = CreateDbContext();
        db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().Migrate(migrateTo);
    }

    public bool OnPostgres => postgres is not null;

    public PortalDbContext CreateDbContext() => CreateDbContext([]);

    /// <param name="interceptors">To watch the commands a service sends (e.g. retention's batches).</param>
    public PortalDbContext CreateDbContext(params Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor[] interceptors) => postgres is null
        ? new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(sqlite!).UseApplicationServiceProvider(IdentityServices).AddInterceptors(interceptors).Options)
        : new PostgresPortalDbContext(new DbContextOptionsBuilder<PostgresPortalDbContext>().UseNpgsql(postgres).UseApplicationServiceProvider(IdentityServices).AddInterceptors(interceptors).Options);

    /// <summary>The service under test; one data protection provider per database, so cursors stay valid across services.</summary>
    public LogService Service(int countLimit = 10_000, int textCountLimit = 1_000) =>
        new(this, Microsoft.Extensions.Options.Options.Create(new LogOptions { CountLimit = countLimit, TextCountLimit = textCountLimit }), Protection);

    public IDataProtectionProvider Protection { get; } = new EphemeralDataProtectionProvider();

    public async Task<List<LogEntry>> AddAsync(params LogEntry[] entries)
    {
        await using var db = CreateDbContext();
        db.LogEntries.AddRange(entries);
        await db.SaveChangesAsync();
        return [.. entries];
    }

    public static LogEntry Entry(DateTime time, string name = "sales", LogDirection direction = LogDirection.Inbound, LogState state = LogState.Success,
        string? requestBody = null, string? responseBody = null, string? error = null, string? eventType = null) => new()
    {
        TimeUtc = time, Direction = direction, Name = name, Method = "POST", Path = "/hooks/a/b", State = state, Status = state == LogState.Error ? 422 : 200,
        RequestBody = requestBody, ResponseBody = responseBody, Error = error, EventType = eventType,
    };

    /// <summary>Every row's last column of a query on <paramref name="connection"/>, as text, one line each (plans, index definitions).</summary>
    public static async Task<string> TextAsync(System.Data.Common.DbConnection connection, string sql, params IReadOnlyList<(string Name, object? Value)> parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(Convert.ToString(reader.GetValue(reader.FieldCount - 1), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return string.Join("\n", lines);
    }

    public void Dispose()
    {
        sqlite?.Dispose();
        if (postgres is not null)
        {
            using (var own = new Npgsql.NpgsqlConnection(postgres))
            {
                Npgsql.NpgsqlConnection.ClearPool(own);
            }

            using var connection = new Npgsql.NpgsqlConnection(PortalFactory.PostgresServer + ";Database=postgres");
            connection.Open();
            using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
    }
}
