using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WebhookPortal.E2E.Support;

/// <summary>A webhook receiver on loopback that answers <see cref="Status"/> and records each message's webhook-id and answer.</summary>
public sealed class TestReceiver : IAsyncDisposable
{
    private readonly WebApplication app;

    private TestReceiver(WebApplication app) => this.app = app;

    /// <summary>The status every request gets now; change it to "fix" the receiver.</summary>
    public int Status { get; set; } = 200;

    public string Url { get; private set; } = "";

    /// <summary>(webhook-id, status answered) of every request, in order.</summary>
    public ConcurrentQueue<(string WebhookId, int Status)> Received { get; } = new();

    public static async Task<TestReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new TestReceiver(app);
        app.Run(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            var status = receiver.Status;
            receiver.Received.Enqueue((context.Request.Headers["webhook-id"].ToString(), status));
            context.Response.StatusCode = status;
            await context.Response.WriteAsync(status >= 400 ? "maintenance until further notice" : "ok");
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
