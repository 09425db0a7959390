using System.ComponentModel.DataAnnotations;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Configuration;

namespace WebhookPortal.Infrastructure.Database;

public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    [Required]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}

public static class DatabaseSetup
{
    public const string ConnectionStringName = "Portal";
    private const string DefaultSqlite = "Data Source=data/portal.db";

    public static DatabaseProvider AddPortalDatabase(this WebApplicationBuilder builder, OperatorDirectory operatorDirectory)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // The provider decides which migration set applies, so it is read once at start.
        var provider = builder.Configuration.GetValue(DatabaseOptions.Section + ":Provider", DatabaseProvider.Sqlite);
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);

        if (provider == DatabaseProvider.PostgreSql)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("Database:Provider is PostgreSql but ConnectionStrings:Portal is empty.");
            }

            builder.Services.AddDbContext<PortalDbContext, PostgresPortalDbContext>(o => o.UseNpgsql(connectionString));
        }
        else
        {
            var sqlite = ResolveSqlite(string.IsNullOrWhiteSpace(connectionString) ? DefaultSqlite : connectionString, operatorDirectory);
            builder.Services.AddDbContext<PortalDbContext, SqlitePortalDbContext>(o => o.UseSqlite(sqlite));
        }

        builder.Services.AddHealthChecks().AddDbContextCheck<PortalDbContext>("database");
        return provider;
    }

    /// <summary>Relative SQLite files live under the operator's folder; their directory is created.</summary>
    public static string ResolveSqlite(string connectionString, OperatorDirectory operatorDirectory)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is not (":memory:" or "") && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = operatorDirectory.Resolve(csb.DataSource);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }

        return csb.ToString();
    }
}
