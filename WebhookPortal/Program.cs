using WebhookPortal;
using WebhookPortal.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddPortal();

var app = builder.Build();
await app.Services.InitializePortalDatabaseAsync();
app.MapPortal();
app.Run();

/// <summary>Entry point; public so that WebApplicationFactory can start the real app in tests.</summary>
public partial class Program;
