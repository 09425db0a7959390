using System.Net.Http.Headers;
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

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    public string DatabasePath => Path.Combine(directory, "portal.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        System.IO.Directory.CreateDirectory(directory);
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Portal", $"Data Source={DatabasePath}");
        builder.UseSetting("Seed:AdminEmail", AdminEmail);
        builder.UseSetting("Seed:AdminPassword", SeedPassword);
        builder.UseSetting("PublicBaseUrl", "http://portal.test");
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

    /// <summary>False for tests that need real time to pass (deliveries scheduled by Hangfire).</summary>
    protected virtual bool UseFakeClock => true;

    /// <summary>Extra settings of a derived factory.</summary>
    protected virtual void ConfigurePortal(IWebHostBuilder builder)
    {
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
