using WebhookPortal;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Configuration;

var builder = WebApplication.CreateBuilder(OperatorConfiguration.HostArguments(args));
builder.AddPortal();

var app = builder.Build();
await app.Services.InitializePortalDatabaseAsync();
if (args.Contains("--migrate"))
{
    // Deployments with several portals run this once before starting them (docs/deploy.md).
    app.Logger.LogInformation("The database is migrated and seeded; --migrate exits without serving.");
    return;
}

app.MapPortal();
app.Run();

/// <summary>Entry point; public so that WebApplicationFactory can start the real app in tests.</summary>
public partial class Program;
