// A bare ASP.NET Core endpoint for bench/publish.sh, two roles in one process:
//  - POST /ref  : the reference for wrk (reads the body, answers 202 with a small JSON, like the publish endpoint);
//  - POST /hook : the webhook receiver the portal delivers to (reads the body, answers 200, counts);
//  - GET /count : how many deliveries arrived (and how many distinct webhook-id headers).
// Usage: dotnet PublishBench.dll --port 5191
using System.Collections.Concurrent;
using System.Net;

var port = int.Parse(args.SkipWhile(a => a != "--port").Skip(1).FirstOrDefault() ?? "5191");
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
var app = builder.Build();
long received = 0;
var ids = new ConcurrentDictionary<string, byte>();
app.MapPost("/ref", async (HttpRequest request) =>
{
    using var reader = new StreamReader(request.Body);
    var body = await reader.ReadToEndAsync();
    return Results.Json(new { id = Guid.NewGuid(), length = body.Length }, statusCode: 202);
});
app.MapPost("/hook", async (HttpRequest request) =>
{
    using var reader = new StreamReader(request.Body);
    await reader.ReadToEndAsync();
    Interlocked.Increment(ref received);
    foreach (var name in new[] { "webhook-id", "X-Webhook-Id", "X-Delivery-Id" })
    {
        if (request.Headers.TryGetValue(name, out var value))
        {
            ids.TryAdd(value.ToString(), 0);
            break;
        }
    }

    return Results.Ok();
});
app.MapGet("/count", () => Results.Json(new { received = Interlocked.Read(ref received), distinct = ids.Count }));
await app.RunAsync();
