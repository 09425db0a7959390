using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Data;

/// <summary>Applies the committed migrations and seeds the roles and the first administrator at start.</summary>
public static class PortalDatabaseInitializer
{
    public static async Task InitializePortalDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var provider = scope.ServiceProvider;
        var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PortalDatabaseInitializer));
        var db = provider.GetRequiredService<PortalDbContext>();

        if (db.Database.IsSqlite())
        {
            // WAL lets readers work while the single writer commits; it is a property of the file.
            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }

        // Several portals on one PostgreSQL database may start at once: one at a time migrates and seeds (a
        // session-level advisory lock, released when this connection closes), and the others then find it done.
        await using var startLock = db.Database.IsNpgsql() ? await StartupLock.AcquireAsync(db.Database.GetConnectionString()!, cancellationToken) : null;

        // A migration may rewrite a large table (LogSearch adds a computed search vector to every log entry: about a
        // minute per million entries on PostgreSQL); the default 30 s command timeout would fail it halfway.
        db.Database.SetCommandTimeout(TimeSpan.FromHours(1));
        await db.Database.MigrateAsync(cancellationToken);
        db.Database.SetCommandTimeout(null);

        // Hangfire.PostgreSql installs or upgrades its schema when its storage is created: under the same lock, and
        // also for --migrate, which starts no Hangfire server.
        _ = services.GetService<Hangfire.JobStorage>();

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await SeedAsync(provider, logger);
                return;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another portal on the same SQLite file seeded the same row first (PostgreSQL has the lock above):
                // the next pass finds it and leaves it as it is.
                db.ChangeTracker.Clear();
            }
        }
    }

    private static async Task SeedAsync(IServiceProvider provider, ILogger logger)
    {
        var roleManager = provider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in PortalRoles.All)
        {
            if (!await roleManager.RoleExistsAsync(role))
            {
                await roleManager.CreateAsync(new IdentityRole(role));
            }
        }

        await SeedAdminAsync(provider, logger);
    }

    private static async Task SeedAdminAsync(IServiceProvider provider, ILogger logger)
    {
        var seed = provider.GetRequiredService<IOptions<SeedOptions>>().Value;
        if (string.IsNullOrWhiteSpace(seed.AdminEmail))
        {
            logger.LogInformation("No Seed:AdminEmail configured; no administrator seeded.");
            return;
        }

        var users = provider.GetRequiredService<UserManager<ApplicationUser>>();

        // Idempotent: an existing account is never duplicated and its password never reset.
        if (await users.FindByEmailAsync(seed.AdminEmail) is not null)
        {
            return;
        }

        var generated = string.IsNullOrWhiteSpace(seed.AdminPassword);
        if (generated && (await users.GetUsersInRoleAsync(PortalRoles.Admin)).Count > 0)
        {
            // Someone already administers this portal; a generated password is only for the very first start.
            return;
        }

        var password = generated ? OneTimePassword.Generate() : seed.AdminPassword!;
        var admin = new ApplicationUser { UserName = seed.AdminEmail, Email = seed.AdminEmail, EmailConfirmed = true };
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded && await users.FindByEmailAsync(seed.AdminEmail) is not null)
        {
            // Another portal starting beside this one on the same SQLite file seeded it a moment ago.
            return;
        }

        if (!created.Succeeded)
        {
            throw new InvalidOperationException("The seed administrator could not be created: " + string.Join(" ", created.Errors.Select(e => e.Description)));
        }

        await users.AddToRoleAsync(admin, PortalRoles.Admin);
        if (!generated)
        {
            logger.LogInformation("Seeded the first administrator {Email}.", seed.AdminEmail);
            return;
        }

        // No shared default password: this one exists only here and in this one log line, and must be changed at first sign-in.
        await PasswordChange.RequireAsync(users, admin);
        logger.LogWarning(
            "FIRST START: created the administrator {Email} with the one-time password {OneTimePassword} . It is shown only this once; "
            + "sign in with it and choose a new password (set Seed:AdminPassword to choose the first password yourself).",
            seed.AdminEmail, password);
    }
}

/// <summary>A PostgreSQL advisory lock held on its own connection for the time of the start-up work.</summary>
internal sealed class StartupLock(Npgsql.NpgsqlConnection connection) : IAsyncDisposable
{
    // Any constant the portal owns; advisory locks are per database.
    private const long Key = 0x5750_5354_4152_54; // "WPSTART"

    public static async Task<StartupLock> AcquireAsync(string connectionString, CancellationToken ct)
    {
        var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection);
        command.Parameters.AddWithValue("key", Key);
        await command.ExecuteNonQueryAsync(ct);
        return new StartupLock(connection);
    }

    public async ValueTask DisposeAsync()
    {
        // Pooled connections keep session locks: unlock before the connection goes back to the pool.
        await using (var command = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection))
        {
            command.Parameters.AddWithValue("key", Key);
            await command.ExecuteNonQueryAsync();
        }

        await connection.DisposeAsync();
    }
}
