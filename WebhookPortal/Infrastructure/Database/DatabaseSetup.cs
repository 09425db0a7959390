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

    /// <summary>SQLite only: how often the write-ahead log is copied back into the database file (<see cref="SqliteCheckpointer"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// SQLite only: how large the write-ahead log may grow, in MiB, before the checkpointer starts it again from its
    /// beginning, pausing the group-commit writers for the last few frames (<see cref="SqliteCheckpointer"/>).
    /// </summary>
    [Range(1, 65_536)]
    public int WalSizeLimitMiB { get; set; } = 64;
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

            builder.Services.AddPortalContexts<PostgresPortalDbContext>(o => o.UseNpgsql(connectionString));
            builder.Services.AddSingleton(new WriteGate(takesTurns: false));
            builder.Services.AddSingleton(sp => new PostgresClusterSignals(connectionString, sp.GetRequiredService<ILogger<PostgresClusterSignals>>()));
            builder.Services.AddSingleton<IClusterSignals>(sp => sp.GetRequiredService<PostgresClusterSignals>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgresClusterSignals>());
        }
        else
        {
            var sqlite = ResolveSqlite(string.IsNullOrWhiteSpace(connectionString) ? DefaultSqlite : connectionString, operatorDirectory);
            builder.Services.AddPortalContexts<SqlitePortalDbContext>(o => o.UseSqlite(sqlite).AddInterceptors(SqliteBusyTimeout.Instance, SqliteCheckpointer.Handover));
            // Registered with the interceptor that turns SQLite's automatic checkpoint off: one never goes without the other.
            builder.Services.AddSingleton(sp => new SqliteCheckpointer(sqlite, sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>(), sp.GetRequiredService<ILogger<SqliteCheckpointer>>(), sp.GetRequiredService<WriteGate>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SqliteCheckpointer>());
            // Made by the container, so that it closes the writers' connection when the host stops.
            builder.Services.AddSingleton(sp => new WriteGate(takesTurns: true,
                new SqliteWriterConnection(sqlite, sp.GetRequiredService<DbContextOptions<SqlitePortalDbContext>>())));
            builder.Services.AddSingleton<IClusterSignals, LocalClusterSignals>();
        }

        builder.Services.AddHealthChecks().AddDbContextCheck<PortalDbContext>("database");
        return provider;
    }

    /// <summary>
    /// A context factory for everything a Blazor component calls (one short-lived context per operation, as the
    /// Blazor docs advise, instead of one context for the life of a circuit), and a scoped context made by the
    /// same factory for request-bound code (endpoints, Identity, Hangfire jobs).
    /// </summary>
    private static void AddPortalContexts<TContext>(this IServiceCollection services, Action<DbContextOptionsBuilder> configure)
        where TContext : PortalDbContext
    {
        // Pooled: a context is reset and reused instead of built per operation (every request, every attempt).
        services.AddPooledDbContextFactory<TContext>(configure);
        services.AddSingleton<IDbContextFactory<PortalDbContext>, PortalContextFactory<TContext>>();
        services.AddScoped<PortalDbContext>(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());
    }

    private sealed class PortalContextFactory<TContext>(IDbContextFactory<TContext> provider) : IDbContextFactory<PortalDbContext>
        where TContext : PortalDbContext
    {
        public PortalDbContext CreateDbContext() => provider.CreateDbContext();
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
