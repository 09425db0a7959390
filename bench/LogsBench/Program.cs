// Issue 17, "log viewer queries at 1M entries". Two modes, both driven by bench/logs.sh:
//
//   fill --entries N (--sqlite <file> | --postgres "<server connection string>" --database <name>)
//     Migrates a new portal database and inserts N log entries through the receiver's own insert command
//     (EntityInsertCommand, 500 per transaction), so whatever the schema adds to an insert (indexes, triggers) is
//     paid here as on the ingest path; prints the insert rate, then (SQLite) the time to add them to the text index. Entries are spread over the last 7 days:
//     70 % inbound over 20 listeners, 30 % outbound over 10 webhooks, 5 % errors, bodies with their own order ids,
//     a city out of 50 (each about 2 % of the entries) and a SKU; one entry holds the word "needle-7f3a".
//
//   time --small <url> --large <url> --user <email> --password <password> [--runs R]
//     Sends the same GET /api/logs queries to both portals, alternating, R times each after two warm-up rounds,
//     and prints the medians, the ratio large / small and whether each query meets the issue's goal
//     (≤ 3 × its time at the small size, and ≤ 100 ms).
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using WebhookPortal.Data;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Database;

var mode = args.FirstOrDefault() ?? throw new ArgumentException("fill or time");
var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal)).ToDictionary(x => x.a[2..], x => args[x.i + 1]);
return mode switch
{
    "fill" => await FillAsync(options),
    "time" => await TimeAsync(options),
    "drop" => await DropAsync(options),
    _ => throw new ArgumentException("fill or time"),
};

static async Task<int> FillAsync(Dictionary<string, string> options)
{
    var count = int.Parse(options["entries"]);
    PortalDbContext Create() => options.TryGetValue("postgres", out var server)
        ? new PostgresPortalDbContext(new DbContextOptionsBuilder<PostgresPortalDbContext>().UseNpgsql($"{server};Database={options["database"]}").UseApplicationServiceProvider(Identity.Services).Options)
        : new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite($"Data Source={options["sqlite"]}").UseApplicationServiceProvider(Identity.Services).Options);

    if (options.TryGetValue("postgres", out var pg))
    {
        await using var admin = new Npgsql.NpgsqlConnection(pg + ";Database=postgres");
        await admin.OpenAsync();
        await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{options["database"]}\"", admin);
        await create.ExecuteNonQueryAsync();
    }

    await using (var db = Create())
    {
        await db.Database.MigrateAsync();
        if (db.Database.IsSqlite())
        {
            // As the portal sets it at start.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        }
    }

    var now = DateTime.UtcNow;
    var random = new Random(17);
    var integration = Guid.NewGuid();
    var listeners = Enumerable.Range(1, 20).Select(i => (Id: Guid.NewGuid(), Name: $"listener-{i:00}")).ToArray();
    var webhooks = Enumerable.Range(1, 10).Select(i => (Id: Guid.NewGuid(), Name: $"hook-{i:00}", Url: $"https://receiver-{i}.example.com/hooks")).ToArray();
    var cities = new[]
    {
        "Lyon", "Paris", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Warsaw", "Lisbon", "Dublin", "Oslo", "Helsinki", "Athens", "Sofia", "Zagreb",
        "Riga", "Vilnius", "Tallinn", "Bern", "Brussels", "Amsterdam", "Copenhagen", "Stockholm", "Budapest", "Bucharest", "Ljubljana", "Bratislava",
        "Valletta", "Nicosia", "Luxembourg", "Porto", "Seville", "Milan", "Naples", "Munich", "Hamburg", "Cologne", "Marseille", "Toulouse", "Nantes",
        "Geneva", "Zurich", "Basel", "Antwerp", "Ghent", "Rotterdam", "Utrecht", "Krakow", "Gdansk", "Bergen",
    };
    var errors = new[] { "The field 'id' is missing.", "The field 'amount' must be a number.", "The receiver answered 503.", "The receiver did not answer within 30 s.", "The token is wrong." };
    var headers = "{\"Content-Type\":\"application/json\",\"User-Agent\":\"erp/4.2\",\"X-Webhook-Token\":\"***\"}";
    var span = TimeSpan.FromDays(7).Ticks;
    var needle = count / 3;

    var watch = Stopwatch.StartNew();
    const int batch = 500;
    await using (var db = Create())
    {
        await db.Database.OpenConnectionAsync();
        for (var done = 0; done < count; done += batch)
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await using var insert = new EntityInsertCommand<LogEntry>(db, db.Database.GetDbConnection(), transaction.GetDbTransaction());
            for (var i = done; i < Math.Min(count, done + batch); i++)
            {
                var at = now.AddTicks(-(long)(span * (1 - (double)i / count))); // oldest first, as they arrive
                var inbound = random.NextDouble() < 0.7;
                var failed = random.NextDouble() < 0.05;
                var listener = listeners[random.Next(listeners.Length)];
                var webhook = webhooks[random.Next(webhooks.Length)];
                var city = cities[random.Next(cities.Length)];
                var body = $"{{\"data\":{{\"items\":[{{\"id\":{100000 + i},\"name\":\"Order {100000 + i}\",\"amount\":{random.Next(1, 100000) / 100.0},\"active\":true," +
                    $"\"customer\":{{\"id\":{random.Next(1, 5000)},\"city\":\"{city}\"}},\"lines\":[{{\"sku\":\"SKU-{random.Next(1, 2000)}\",\"qty\":{random.Next(1, 9)}}}]}}]}}}}";
                await insert.InsertAsync(new LogEntry
                {
                    TimeUtc = at, Direction = inbound ? LogDirection.Inbound : LogDirection.Outbound, IntegrationId = integration,
                    SourceId = inbound ? listener.Id : webhook.Id, Name = inbound ? listener.Name : webhook.Name, Method = "POST",
                    Path = inbound ? $"/hooks/{integration}/{listener.Id}" : webhook.Url, Status = failed ? (inbound ? 422 : 503) : 200,
                    State = failed ? LogState.Error : LogState.Success,
                    Error = i == needle ? "Rejected: needle-7f3a" : failed ? errors[random.Next(errors.Length)] : null, DurationMs = random.Next(2, 80),
                    RequestHeaders = headers, RequestBody = body, ResponseHeaders = "{\"Content-Type\":\"application/json\"}",
                    ResponseBody = inbound ? "{\"inserted\":1,\"updated\":0,\"deleted\":0}" : $"{{\"ok\":{(failed ? "false" : "true")},\"ref\":\"r-{i}\"}}",
                    EventType = inbound ? null : "order.created", DeliveryId = inbound ? null : Guid.NewGuid(), Attempt = inbound ? null : 1,
                }, CancellationToken.None);
            }

            await transaction.CommitAsync();
        }

        Console.WriteLine($"filled {count:N0} log entries in {watch.Elapsed.TotalSeconds:0.0} s ({count / watch.Elapsed.TotalSeconds:N0} inserts/s, {batch} per transaction)");
        if (db.Database.IsSqlite())
        {
            // What the portal's background indexer would do over the next seconds, timed here instead of during the queries.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            watch.Restart();
            var indexed = await LogSearchIndex.CatchUpAsync(db, CancellationToken.None);
            Console.WriteLine($"indexed {indexed:N0} entries for text search in {watch.Elapsed.TotalSeconds:0.0} s " +
                $"({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds * 1000 / Math.Max(1, indexed):0} CPU-µs per entry)");
        }
        if (db.Database.IsNpgsql())
        {
            // A settled database: autovacuum would have analyzed a table this size long before anyone searched it.
            await db.Database.ExecuteSqlRawAsync("VACUUM ANALYZE \"LogEntries\"");
        }
    }

    return 0;
}

static async Task<int> DropAsync(Dictionary<string, string> options)
{
    await using var admin = new Npgsql.NpgsqlConnection(options["postgres"] + ";Database=postgres");
    await admin.OpenAsync();
    await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{options["database"]}\" WITH (FORCE)", admin);
    await drop.ExecuteNonQueryAsync();
    return 0;
}

static async Task<int> TimeAsync(Dictionary<string, string> options)
{
    var runs = int.Parse(options.GetValueOrDefault("runs", "15"));
    var portals = new[] { ("small", options["small"]), ("large", options["large"]) };
    using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options["user"]}:{options["password"]}")));

    var queries = new (string Label, string Query)[]
    {
        ("name + state=error (issue)", "name=listener-07&state=error"),
        ("q, a hit: a city, ~2 % (issue)", "q=Lyon"),
        ("q, no hit (issue)", "q=zanzibar"),
        ("q, one entry: needle-7f3a", "q=needle-7f3a"),
        ("q, in every entry: items", "q=items"),
        ("q, a word prefix: Stockh", "q=Stockh"),
        ("name + state=error + q=Lyon", "name=listener-07&state=error&q=Lyon"),
        ("direction=outbound", "direction=outbound"),
        ("no filter", ""),
        ("no filter, next page", "NEXT"),
    };

    // The second page: by the first page's cursor where the API gives one, else page=2.
    async Task<string> NextPageQueryAsync(string url)
    {
        using var response = await client.GetAsync($"{url}/api/logs?pageSize=50");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String
            ? "cursor=" + Uri.EscapeDataString(next.GetString()!) : "page=2";
    }

    var next = new Dictionary<string, string>();
    foreach (var (name, url) in portals)
    {
        next[name] = await NextPageQueryAsync(url);
    }

    var times = queries.ToDictionary(q => q.Label, _ => portals.ToDictionary(p => p.Item1, _ => new List<double>()));
    var totals = new Dictionary<(string, string), string>();
    for (var run = -2; run < runs; run++)
    {
        foreach (var (label, query) in queries)
        {
            foreach (var (name, url) in portals)
            {
                var q = query == "NEXT" ? next[name] : query;
                var started = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync($"{url}/api/logs?pageSize=50&{q}");
                var body = await response.Content.ReadAsStringAsync();
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{url} {q}: {(int)response.StatusCode} {body}");
                }

                if (run >= 0)
                {
                    times[label][name].Add(elapsed);
                }
                else
                {
                    using var json = JsonDocument.Parse(body);
                    var root = json.RootElement;
                    var capped = root.TryGetProperty("totalCapped", out var c) && c.GetBoolean() ? "+" : "";
                    totals[(label, name)] = $"{root.GetProperty("total").GetInt32():N0}{capped} ({root.GetProperty("items").GetArrayLength()} shown)";
                }
            }
        }
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    Console.WriteLine($"GET /api/logs?pageSize=50&…, median of {runs} (after 2 warm-up rounds), the two portals alternating");
    Console.WriteLine($"| query | small: median ms | large: median ms | large worst ms | ratio | goal (≤ 3×, ≤ 100 ms) | matches small / large |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
    var met = 0;
    foreach (var (label, _) in queries)
    {
        var small = Median(times[label]["small"]);
        var large = Median(times[label]["large"]);
        var ratio = large / small;
        var ok = ratio <= 3 && large <= 100;
        met += ok ? 1 : 0;
        Console.WriteLine($"| {label} | {small:0.0} | {large:0.0} | {times[label]["large"].Max():0.0} | {ratio:0.0}× | {(ok ? "met" : "NOT met")} | {totals.GetValueOrDefault((label, "small"))} / {totals.GetValueOrDefault((label, "large"))} |");
    }

    Console.WriteLine($"goal met by {met} of {queries.Length} queries");
    return 0;
}

internal static class Identity
{
    // Identity reads its schema version from the application's services, as in the app.
    public static readonly IServiceProvider Services = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
        .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
        .BuildServiceProvider();
}
