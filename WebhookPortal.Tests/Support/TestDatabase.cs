using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Tests.Support;

/// <summary>A real SQLite database in memory, for component tests that use the real services.</summary>
public sealed class TestDatabase : IDisposable, IDbContextFactory<PortalDbContext>
{
    private readonly SqliteConnection connection = new("Data Source=:memory:");

    public TestDatabase()
    {
        connection.Open();
        using var db = CreateContext();
        db.Database.Migrate();
    }

    // Identity reads its schema version from IdentityOptions in the application's services, as in the app.
    public static readonly IServiceProvider IdentityServices = new ServiceCollection()
        .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
        .BuildServiceProvider();

    public PortalDbContext CreateContext() =>
        new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>()
            .UseSqlite(connection)
            .UseApplicationServiceProvider(IdentityServices)
            .Options);

    PortalDbContext IDbContextFactory<PortalDbContext>.CreateDbContext() => CreateContext();

    public void Dispose() => connection.Dispose();
}
