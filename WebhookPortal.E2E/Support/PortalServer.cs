using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WebhookPortal.E2E.Support;

/// <summary>The real portal on Kestrel, on a free loopback port, with a throw-away SQLite database.</summary>
public sealed class PortalServer : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@e2e.local";
    public const string AdminPassword = "E2e-Admin-Pass-1";

    private readonly string directory = Path.Combine(Path.GetTempPath(), "webhookportal-e2e", Guid.NewGuid().ToString("N"));

    private readonly IReadOnlyDictionary<string, string> settings;

    /// <param name="settings">Settings beside the E2E defaults, for a journey that needs a portal of its own (short health periods).</param>
    public PortalServer(IReadOnlyDictionary<string, string>? settings = null)
    {
        this.settings = settings ?? new Dictionary<string, string>();
        Directory.CreateDirectory(directory);
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
    }

    public string BaseUrl { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("E2E");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(directory, "portal.db")}");
        builder.UseSetting("Seed:AdminEmail", AdminEmail);
        builder.UseSetting("Seed:AdminPassword", AdminPassword);
        builder.UseSetting("PublicBaseUrl", "http://127.0.0.1");
        builder.UseSetting("Outbound:AllowedHosts:0", "127.0.0.1");
        builder.UseSetting("Delivery:RetryInterval", "00:00:02");
        builder.UseSetting("Delivery:MaxRetries", "1");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        // The portal's warnings and errors (a dropped circuit event, a failed render) go to a file next to the
        // screenshots, so a failed journey shows its server side too.
        builder.ConfigureLogging(logging => logging.AddProvider(new ServerLogFile(Path.Combine(AppContext.BaseDirectory, "TestResults", "portal-server.log"))));
    }

    protected override Microsoft.Extensions.Hosting.IHost CreateHost(Microsoft.Extensions.Hosting.IHostBuilder builder)
    {
        var host = base.CreateHost(builder);

        // Hangfire keeps its log provider in a static that each starting host points at its own LoggerFactory: a
        // journey with a portal of its own would leave the shared portal's Hangfire logging into a disposed factory
        // (seen: "Background job creation failed … LoggerFactory disposed"). Every portal shares one that lives forever.
        global::Hangfire.Logging.LogProvider.SetCurrentLogProvider(HangfireLog.Instance);
        return host;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the folder is under the temp directory.
            }
        }
    }
}

/// <summary>Appends warnings and errors to one file.</summary>
internal sealed class ServerLogFile(string path) : Microsoft.Extensions.Logging.ILoggerProvider
{
    private static readonly object Gate = new();

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(path, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string path, string category) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            lock (Gate)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.AppendAllText(path, $"{DateTime.UtcNow:O} {logLevel} {category}: {formatter(state, exception)}{Environment.NewLine}{exception}{Environment.NewLine}");
            }
        }
    }
}

/// <summary>Hangfire's warnings and errors of every E2E portal, into the server log file.</summary>
internal sealed class HangfireLog : global::Hangfire.Logging.ILogProvider, global::Hangfire.Logging.ILog
{
    public static readonly HangfireLog Instance = new();

    private static readonly Microsoft.Extensions.Logging.ILogger File =
        new ServerLogFile(Path.Combine(AppContext.BaseDirectory, "TestResults", "portal-server.log")).CreateLogger("Hangfire");

    public global::Hangfire.Logging.ILog GetLogger(string name) => this;

    public bool Log(global::Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
    {
        if (logLevel < global::Hangfire.Logging.LogLevel.Warn)
        {
            return false;
        }

        if (messageFunc is not null)
        {
            File.LogWarning(exception, "{Message}", messageFunc());
        }

        return true;
    }
}
