// The two references of bench/ingest.sh (issue 17, row "listener ingest"), in one bare Kestrel process:
//  - POST /bare  : reads the body and answers 200 — what Kestrel alone can do;
//  - POST /group : reads the body, hands it to one writer that inserts everything waiting in one transaction (a
//                  prepared INSERT per row, one COMMIT), and answers 200 after the commit — "a plain SQLite group
//                  commit", the database's practical limit here. Same SQLite, WAL, same durability (synchronous
//                  FULL, SQLite's default) as the portal.
//  - GET /count  : rows stored by /group.
// Usage: dotnet IngestRef.dll --port 5195 --db /tmp/ref.db
using System.Net;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
var port = int.Parse(Arg("--port", "5195"));
var path = Arg("--db", Path.Combine(Path.GetTempPath(), "ingest-ref.db"));

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
var app = builder.Build();

var connection = new SqliteConnection($"Data Source={path}");
connection.Open();
using (var setup = connection.CreateCommand())
{
    setup.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS Records (Id INTEGER PRIMARY KEY, ReceivedUtc TEXT NOT NULL, Body TEXT NOT NULL);";
    setup.ExecuteNonQuery();
}

var queue = Channel.CreateUnbounded<(string Body, TaskCompletionSource Done)>(new UnboundedChannelOptions { SingleReader = true });
var writer = Task.Run(async () =>
{
    var batch = new List<(string Body, TaskCompletionSource Done)>();
    using var insert = connection.CreateCommand();
    insert.CommandText = "INSERT INTO Records (ReceivedUtc, Body) VALUES ($time, $body)";
    var time = insert.Parameters.Add("$time", SqliteType.Text);
    var body = insert.Parameters.Add("$body", SqliteType.Text);
    insert.Prepare();
    while (await queue.Reader.WaitToReadAsync())
    {
        batch.Clear();
        while (batch.Count < 256 && queue.Reader.TryRead(out var item))
        {
            batch.Add(item);
        }

        using var transaction = connection.BeginTransaction();
        insert.Transaction = transaction;
        foreach (var item in batch)
        {
            time.Value = DateTime.UtcNow.ToString("O");
            body.Value = item.Body;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        foreach (var item in batch)
        {
            item.Done.SetResult();
        }
    }
});

app.MapPost("/bare", async (HttpRequest request) =>
{
    using var reader = new StreamReader(request.Body);
    await reader.ReadToEndAsync();
    return Results.Ok();
});
app.MapPost("/group", async (HttpRequest request) =>
{
    using var reader = new StreamReader(request.Body);
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    await queue.Writer.WriteAsync((await reader.ReadToEndAsync(), done));
    await done.Task;
    return Results.Ok();
});
app.MapGet("/count", () =>
{
    // Read on a second connection: the writer owns the first.
    using var reading = new SqliteConnection($"Data Source={path}");
    reading.Open();
    using var count = reading.CreateCommand();
    count.CommandText = "SELECT count(*) FROM Records";
    return Results.Json(new { stored = (long)count.ExecuteScalar()! });
});
await app.RunAsync();
