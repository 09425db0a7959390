using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WebhookPortal.ClusterTests;

/// <summary>A webhook receiver on loopback that answers 200 and writes down every request's path and webhook-id.</summary>
public sealed class Ledger : IAsyncDisposable
{
    private readonly WebApplication app;

    private Ledger(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<(string Path, string WebhookId)> Received { get; } = new();

    public IReadOnlyList<string> IdsAt(string path) => Received.Where(r => r.Path == path).Select(r => r.WebhookId).ToList();

    public static async Task<Ledger> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var ledger = new Ledger(app);
        app.Run(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            ledger.Received.Enqueue((context.Request.Path.Value ?? "", context.Request.Headers["webhook-id"].ToString()));
            context.Response.StatusCode = 200;
        });
        await app.StartAsync();
        ledger.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return ledger;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
