// Sends N POSTs with C in flight to the portal's receiver and to a bare ASP.NET Core endpoint started
// here (same machine, same run), and prints throughput and latency percentiles of both.
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal)).ToDictionary(x => x.a[2..], x => args[x.i + 1]);
var hookUrl = options["hook"];
var token = options.GetValueOrDefault("token");
var requests = int.Parse(options.GetValueOrDefault("requests", "20000"));
var concurrency = int.Parse(options.GetValueOrDefault("concurrency", "64"));

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
var bare = builder.Build();
bare.MapPost("/", async (HttpRequest request) =>
{
    using var reader = new StreamReader(request.Body);
    var body = await reader.ReadToEndAsync();
    return Results.Json(new { inserted = body.Length > 0 ? 1 : 0, updated = 0, deleted = 0 });
});
await bare.StartAsync();
var bareUrl = bare.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";

using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) });

async Task<(double PerSecond, double P50, double P99, int Errors)> RunAsync(string url, int offset)
{
    var latencies = new double[requests];
    var errors = 0;
    var next = -1;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < requests)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent($$"""{"id":{{offset + i}},"name":"bench {{i}}","amount":{{i % 1000}}.5,"active":true,"comments":[{"text":"first"},{"text":"second"}]}""", Encoding.UTF8, "application/json"),
            };
            if (token is not null)
            {
                request.Headers.Add("X-Webhook-Token", token);
            }

            var started = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }));
    watch.Stop();
    Array.Sort(latencies);
    return (requests / watch.Elapsed.TotalSeconds, latencies[requests / 2], latencies[(int)(requests * 0.99)], errors);
}

// Warm both up, then measure.
await RunAsync(bareUrl, 0);
var bareResult = await RunAsync(bareUrl, 0);
await RunAsync(hookUrl, 10_000_000);
var portalResult = await RunAsync(hookUrl, 0);

Console.WriteLine($"requests={requests} concurrency={concurrency}");
Console.WriteLine("| endpoint | requests/s | p50 ms | p99 ms | errors |");
Console.WriteLine("| --- | --- | --- | --- | --- |");
Console.WriteLine($"| bare ASP.NET Core POST (reads body, answers JSON) | {bareResult.PerSecond:F0} | {bareResult.P50:F1} | {bareResult.P99:F1} | {bareResult.Errors} |");
Console.WriteLine($"| portal receiver (token, parse, 1 root + 2 child rows, log entry, group commit) | {portalResult.PerSecond:F0} | {portalResult.P50:F1} | {portalResult.P99:F1} | {portalResult.Errors} |");
Console.WriteLine($"ratio portal/bare throughput: {portalResult.PerSecond / bareResult.PerSecond:P1}");
await bare.StopAsync();
