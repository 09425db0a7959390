// Issue 16, isolation: how long a fast receiver's deliveries take when a slow receiver gets the same messages, beside
// the time they take alone, in one run. Hosts both receivers here (Kestrel on loopback): the fast one answers at once,
// the slow one after --slow-ms. Creates two integrations through the portal's API with an API key:
//   "alone": a webhook to the fast receiver only;   "beside slow": a webhook to the fast receiver and one to the slow one.
// Publishes --messages to each in turn and measures, from the first publish, until the fast receiver has them all.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal)).ToDictionary(x => x.a[2..], x => args[x.i + 1]);
var portal = options["portal"].TrimEnd('/');
var apiKey = options["key"];
var messages = int.Parse(options.GetValueOrDefault("messages", "1000"));
var slowMs = int.Parse(options.GetValueOrDefault("slow-ms", "3000"));
var publishers = int.Parse(options.GetValueOrDefault("publishers", "8"));

var fastCount = 0;
var slowStarted = 0;
var slowAnswered = 0;
var fastUrl = await StartReceiverAsync(async _ => Interlocked.Increment(ref fastCount));
var slowUrl = await StartReceiverAsync(async context =>
{
    Interlocked.Increment(ref slowStarted);
    await Task.Delay(slowMs, context.RequestAborted);
    Interlocked.Increment(ref slowAnswered);
});

using var api = new HttpClient { BaseAddress = new Uri(portal), Timeout = TimeSpan.FromSeconds(60) };
api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);

// A full-size warm-up (tiered JIT, connection pools), then alone, beside slow, and alone again: the ratio is taken
// against the faster of the two "alone" runs (the stricter reference on a noisy machine), and all are printed.
await RunAsync("warm-up", withSlow: false);
var alone = await RunAsync("alone", withSlow: false);
var besideSlow = await RunAsync("beside slow", withSlow: true);
var aloneAgain = await RunAsync("alone again", withSlow: false);
var reference = alone < aloneAgain ? alone : aloneAgain;
Console.WriteLine($"fast receiver, {messages} deliveries: alone {alone.TotalSeconds:0.00} s and {aloneAgain.TotalSeconds:0.00} s; beside a receiver that sleeps {slowMs} ms: {besideSlow.TotalSeconds:0.00} s; ratio {besideSlow / reference:0.00} (goal <= 1.5)");
Console.WriteLine($"slow receiver meanwhile: {slowStarted} requests started, {slowAnswered} answered");
return 0;

async Task<TimeSpan> RunAsync(string name, bool withSlow)
{
    var org = $"iso-{name.Replace(' ', '-')}-{Guid.NewGuid():N}"[..24];
    var integration = await PostAsync("/api/integrations", new { name = org });
    var integrationId = integration.GetProperty("id").GetString();
    await PostAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "fast", postURL = fastUrl });
    if (withSlow)
    {
        await PostAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "slow", postURL = slowUrl });
    }

    var before = Volatile.Read(ref fastCount);
    var watch = Stopwatch.StartNew();
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, publishers).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < messages)
        {
            await PostAsync($"/api/integrations/{integrationId}/messages", new { eventType = "bench.isolation", payload = new { n = i } });
        }
    }));
    var published = watch.Elapsed;
    while (Volatile.Read(ref fastCount) - before < messages)
    {
        if (watch.Elapsed > TimeSpan.FromMinutes(10))
        {
            throw new TimeoutException($"{name}: the fast receiver got {fastCount - before} of {messages} in 10 minutes.");
        }

        await Task.Delay(10);
    }

    Console.WriteLine($"{name}: published {messages} in {published.TotalSeconds:0.00} s; fast receiver had all of them after {watch.Elapsed.TotalSeconds:0.00} s");
    return watch.Elapsed;
}

async Task<JsonElement> PostAsync(string path, object body)
{
    using var response = await api.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
    }

    return JsonDocument.Parse(text).RootElement.Clone();
}

static async Task<string> StartReceiverAsync(Func<HttpContext, Task> handle)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
    var app = builder.Build();
    app.Run(async context =>
    {
        await context.Request.Body.CopyToAsync(Stream.Null);
        await handle(context);
        context.Response.StatusCode = 200;
    });
    await app.StartAsync();
    return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
}
