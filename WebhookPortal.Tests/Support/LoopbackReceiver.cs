using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WebhookPortal.Tests.Support;

/// <summary>A request the receiver got.</summary>
public sealed record ReceivedRequest(DateTime Time, string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>One scripted answer: a status after an optional delay, with optional headers.</summary>
/// <param name="Gate">When set, the answer waits for it (a test opens it when it has seen what it needs), then for <paramref name="Delay"/>.</param>
public sealed record PlannedAnswer(int Status, TimeSpan Delay = default, string Body = "", IReadOnlyDictionary<string, string>? Headers = null, Task? Gate = null);

/// <summary>
/// A tiny Kestrel app on 127.0.0.1 and a free port that answers from a script and records every request:
/// the kind of endpoint the portal's users point webhooks at.
/// </summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<PlannedAnswer> plan = new();
    private readonly ConcurrentQueue<ReceivedRequest> received = new();

    private LoopbackReceiver(WebApplication app) => this.app = app;

    public PlannedAnswer Default { get; set; } = new(200);

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<ReceivedRequest> Requests => received.ToList();

    /// <summary>The most requests it was answering at one time.</summary>
    public int MaxConcurrent => maxConcurrent;

    /// <summary>Requests answered so far (the answer written).</summary>
    public int Answered => answered;

    private int concurrent;
    private int maxConcurrent;
    private int answered;

    public static async Task<LoopbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new LoopbackReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return receiver;
    }

    /// <summary>Queues answers, used in order; then <see cref="Default"/>.</summary>
    public LoopbackReceiver Answer(params PlannedAnswer[] answers)
    {
        foreach (var answer in answers)
        {
            plan.Enqueue(answer);
        }

        return this;
    }

    public string Url(string path = "/hook") => BaseUrl + path;

    /// <summary>Waits until at least <paramref name="count"/> requests arrived.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {count} requests, got {received.Count}.");
            }

            await Task.Delay(50);
        }

        return Requests;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        received.Enqueue(new ReceivedRequest(
            DateTime.UtcNow,
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body));
        var answer = plan.TryDequeue(out var next) ? next : Default;
        var now = Interlocked.Increment(ref concurrent);
        for (var seen = maxConcurrent; now > seen; seen = maxConcurrent)
        {
            Interlocked.CompareExchange(ref maxConcurrent, now, seen);
        }

        try
        {
            if (answer.Delay > TimeSpan.Zero || answer.Gate is not null)
            {
                try
                {
                    if (answer.Gate is { } gate)
                    {
                        await gate.WaitAsync(context.RequestAborted);
                    }

                    await Task.Delay(answer.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            context.Response.StatusCode = answer.Status;
            foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
            {
                context.Response.Headers[name] = value;
            }

            await context.Response.WriteAsync(answer.Body);
            Interlocked.Increment(ref answered);
        }
        finally
        {
            Interlocked.Decrement(ref concurrent);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
