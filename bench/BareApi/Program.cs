// The reference of bench/credentials.sh: bare Kestrel answering GET /api/integrations with the very bytes the portal
// answered (read from --body), no authentication, no database. Usage: BareApi --port 5194 --body file.json
using System.Net;

var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal)).ToDictionary(x => x.a[2..], x => args[x.i + 1]);
var body = File.ReadAllBytes(options["body"]);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, int.Parse(options["port"])));
var app = builder.Build();
app.MapGet("/api/integrations", () => Results.Bytes(body, "application/json; charset=utf-8"));
app.Run();
