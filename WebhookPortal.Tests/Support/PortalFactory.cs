using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Tests.Support;

/// <summary>
/// The real portal in memory: a fresh SQLite file per factory, the seeded admin, a fake clock.
/// </summary>
public class PortalFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@test.local";
    public const string AdminPassword = "Admin-Pass-1";
    public const string SupportEmail = "support@test.local";
    public const string SupportPassword = "Support-Pass-1";

    private readonly string directory;
    private readonly bool ownsDirectory;
    private readonly SemaphoreSlim supportLock = new(1, 1);
    private bool supportCreated;

    public PortalFactory()
        : this(Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N")), ownsDirectory: true)
    {
    }

    /// <summary>A portal on an existing folder: a second factory on the same folder is a restart.</summary>
    internal PortalFactory(string directory, bool ownsDirectory = false)
    {
        this.directory = directory;
        this.ownsDirectory = ownsDirectory;
    }

    public string Directory => directory;

    /// <summary>Overrides the seeded admin's password setting (to prove restarts never reset it).</summary>
    public string SeedPassword { get; init; } = AdminPassword;

    /// <summary>The portal's clock; a derived factory may start it elsewhere (a vendor's example timestamp).</summary>
    public FakeTimeProvider Clock { get; init; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    public string DatabasePath => Path.Combine(directory, "portal.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        System.IO.Directory.CreateDirectory(directory);
        builder.UseEnvironment("Testing");
        if (PostgresServer is { } server)
        {
            builder.UseSetting("Database:Provider", "PostgreSql");
            builder.UseSetting("ConnectionStrings:Portal", CreatePostgresDatabase(server));
            // Hangfire.PostgreSql hears of enqueued jobs, but scheduled ones (retries, a wait behind a probe) reach its
            // queue by polling: 1 s instead of the portal's 5 s keeps delivery tests on PostgreSQL near SQLite's pace.
            builder.UseSetting("Hangfire:QueuePollInterval", "00:00:01");
        }
        else
        {
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={DatabasePath}");
        }

        builder.UseSetting("Seed:AdminEmail", AdminEmail);
        builder.UseSetting("Seed:AdminPassword", SeedPassword);
        builder.UseSetting("PublicBaseUrl", "http://portal.test");
        builder.UseSetting("Jobs:Directory", Path.Combine(directory, "jobs"));
        // Every client of a test host has the same (empty) address: the guessing limits get their own tests
        // (Security/CredentialGuessingTests), everywhere else they would only couple unrelated tests.
        builder.UseSetting("Security:RateLimit:FailuresPerAddress", "1000");
        builder.UseSetting("Security:RateLimit:AttemptsPerAddress", "10000");
        if (UseFakeClock)
        {
            builder.ConfigureServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Clock);
            });
        }
        builder.ConfigureLogging(logging => logging.AddProvider(new ErrorFileLoggerProvider()));
        ConfigurePortal(builder);
    }

    /// <summary>
    /// A PostgreSQL server (a connection string without a database) to run the portal's tests on instead
    /// of SQLite; test.sh sets it for its PostgreSQL pass. Each factory gets its own database.
    /// </summary>
    public static string? PostgresServer => Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES") is { Length: > 0 } server ? server : null;

    public bool OnPostgres => PostgresServer is not null;

    // The database is named after the folder, so a second factory on the same folder (a restart) finds it again.
    private string PostgresDatabaseName => "wp_" + Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar)).ToLowerInvariant();

    private string CreatePostgresDatabase(string server)
    {
        using var connection = new Npgsql.NpgsqlConnection(server + ";Database=postgres");
        connection.Open();
        using var exists = new Npgsql.NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", PostgresDatabaseName);
        if (exists.ExecuteScalar() is null)
        {
            using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{PostgresDatabaseName}\"", connection);
            try
            {
                create.ExecuteNonQuery();
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState is "42P04" or "23505")
            {
                // Portals on one folder starting at once (ConcurrentStartTests): another one created it first.
            }
        }

        return server + ";Database=" + PostgresDatabaseName;
    }

    private void DropPostgresDatabase(string server)
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        using var connection = new Npgsql.NpgsqlConnection(server + ";Database=postgres");
        connection.Open();
        using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{PostgresDatabaseName}\" WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }

    /// <summary>False for tests that need real time to pass (deliveries scheduled by Hangfire).</summary>
    protected virtual bool UseFakeClock => true;

    /// <summary>Extra settings of a derived factory.</summary>
    protected virtual void ConfigurePortal(IWebHostBuilder builder)
    {
    }

    protected override Microsoft.Extensions.Hosting.IHost CreateHost(Microsoft.Extensions.Hosting.IHostBuilder builder)
    {
        var host = base.CreateHost(builder);

        // Hangfire keeps its log provider in a static, which each starting host points at its own
        // LoggerFactory; once that host is disposed, the other hosts of the test run would log into a
        // disposed factory (Hangfire.PostgreSql's workers fail on it). Tests share one that lives forever.
        global::Hangfire.Logging.LogProvider.SetCurrentLogProvider(HangfireErrorLog.Instance);
        return host;
    }

    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public HttpClient WithBasic(string email, string password)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{email}:{password}")));
        return client;
    }

    public HttpClient WithBearer(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient AsAdmin() => WithBasic(AdminEmail, AdminPassword);

    /// <summary>
    /// Creates an API key through the API as an admin would and returns it (shown once). A Subscriber key is
    /// scoped to the given integrations, or to a new one when none are given (a Subscriber key always has a scope).
    /// </summary>
    public async Task<string> CreateApiKeyAsync(string role, string? name = null, params Guid[] integrationIds)
    {
        if (role == PortalRoles.Subscriber && integrationIds.Length == 0)
        {
            var integration = await AsAdmin().PostAsJsonAsync("/api/integrations", new { name = "scope-" + Guid.NewGuid().ToString("N")[..8] });
            integrationIds = [(await integration.ReadJsonAsync(System.Net.HttpStatusCode.Created)).GetProperty("id").GetGuid()];
        }

        name ??= role.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..6];
        var response = role == PortalRoles.Subscriber
            ? await AsAdmin().PostAsJsonAsync("/api/api-keys", new { name, role, integrationIds })
            : await AsAdmin().PostAsJsonAsync("/api/api-keys", new { name, role });
        return (await response.ReadJsonAsync(System.Net.HttpStatusCode.Created)).GetProperty("key").GetString()!;
    }

    public HttpClient AdminJson() => AsAdmin();

    public async Task<HttpClient> AsSupportAsync()
    {
        await EnsureUserAsync(SupportEmail, SupportPassword, PortalRoles.Support);
        return WithBasic(SupportEmail, SupportPassword);
    }

    /// <summary>Creates a user in a role (once) through Identity, as the users page will.</summary>
    public async Task EnsureUserAsync(string email, string password, string role)
    {
        await supportLock.WaitAsync();
        try
        {
            if (email == SupportEmail && supportCreated)
            {
                return;
            }

            using var scope = Services.CreateScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            if (await users.FindByEmailAsync(email) is null)
            {
                var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true };
                var result = await users.CreateAsync(user, password);
                Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
                await users.AddToRoleAsync(user, role);
            }

            supportCreated |= email == SupportEmail;
        }
        finally
        {
            supportLock.Release();
        }
    }

    /// <summary>Runs a query against the portal's database in its own scope.</summary>
    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        using var scope = Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && ownsDirectory)
        {
            if (PostgresServer is { } server)
            {
                DropPostgresDatabase(server);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by the OS: the temp folder is cleaned up eventually.
            }
        }
    }
}

/// <summary>Hangfire's warnings and errors of every test host, into the same file as the portal's.</summary>
internal sealed class HangfireErrorLog : global::Hangfire.Logging.ILogProvider, global::Hangfire.Logging.ILog
{
    public static readonly HangfireErrorLog Instance = new();

    private static readonly Microsoft.Extensions.Logging.ILogger Errors = new ErrorFileLoggerProvider().CreateLogger("Hangfire");

    public global::Hangfire.Logging.ILog GetLogger(string name) => this;

    public bool Log(global::Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
    {
        // Warnings too: a background process of Hangfire's that fails (its delayed-job scheduler, say) warns first and
        // backs off, which is what makes retries late.
        if (logLevel < global::Hangfire.Logging.LogLevel.Warn)
        {
            return false;
        }

        if (messageFunc is not null)
        {
            Errors.LogError(exception, "{Level}: {Message}", logLevel, messageFunc());
        }

        return true;
    }
}

/// <summary>Keeps the portal's errors of a test run in one file (TestResults), for diagnosing a failed run.</summary>
internal sealed class ErrorFileLoggerProvider : Microsoft.Extensions.Logging.ILoggerProvider
{
    private static readonly string FilePath = Path.Combine(AppContext.BaseDirectory, "TestResults", "portal-errors.log");
    private static readonly object Gate = new();

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Error;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            lock (Gate)
            {
                System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(FilePath)!);
                File.AppendAllText(FilePath, $"{DateTime.UtcNow:O} {category}: {formatter(state, exception)}{Environment.NewLine}{exception}{Environment.NewLine}");
            }
        }
    }
}
