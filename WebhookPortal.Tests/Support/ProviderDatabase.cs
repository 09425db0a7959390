using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using WebhookPortal.Data;

namespace WebhookPortal.Tests.Support;

/// <summary>
/// A migrated database without a running portal, on the provider the suite runs on: in-memory SQLite, or a database of
/// its own on the PostgreSQL server that PORTAL_TEST_POSTGRES names (dropped on dispose).
/// </summary>
public abstract class ProviderDatabase : IDbContextFactory<PortalDbContext>, IDisposable
{
    private readonly Microsoft.Data.Sqlite.SqliteConnection? sqlite;
    private readonly string? postgres;
    private readonly string name;

    /// <param name="prefix">The PostgreSQL database's name starts with it (which test class left a database behind).</param>
    /// <param name="migrateTo">The migration to stop at (null: all of them).</param>
    protected ProviderDatabase(string prefix, string? migrateTo = null)
    {
        name = prefix + Guid.NewGuid().ToString("N")[..12];
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
        ? new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(sqlite!).UseApplicationServiceProvider(TestDatabase.IdentityServices).AddInterceptors(interceptors).Options)
        : new PostgresPortalDbContext(new DbContextOptionsBuilder<PostgresPortalDbContext>().UseNpgsql(postgres).UseApplicationServiceProvider(TestDatabase.IdentityServices).AddInterceptors(interceptors).Options);

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

        GC.SuppressFinalize(this);
    }
}
