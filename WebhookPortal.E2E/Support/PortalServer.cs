using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace WebhookPortal.E2E.Support;

/// <summary>The real portal on Kestrel, on a free loopback port, with a throw-away SQLite database.</summary>
public sealed class PortalServer : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@e2e.local";
    public const string AdminPassword = "E2e-Admin-Pass-1";

    private readonly string directory = Path.Combine(Path.GetTempPath(), "webhookportal-e2e", Guid.NewGuid().ToString("N"));

    public PortalServer()
    {
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
