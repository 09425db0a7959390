// Issue 20: the dashboard's aggregate queries at a million log entries. Fills a throw-away database (SQLite by default,
// or PostgreSQL with --postgres "<connection string without Database>") through EF Core with --logs log entries spread
// over the last 7 days (70 % inbound over 20 listeners, 30 % outbound, 5 % errors, bodies of a few hundred bytes) and
// --deliveries deliveries (each with its message) over the same days, then times DashboardService.GetAsync — every
// query the home page runs — for each range: the first call, then the median and the worst of --runs more.
using System.Diagnostics;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.Dashboard;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;

var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal)).ToDictionary(x => x.a[2..], x => args[x.i + 1]);
var logCount = int.Parse(options.GetValueOrDefault("logs", "1000000"));
var deliveryCount = int.Parse(options.GetValueOrDefault("deliveries", "200000"));
var runs = int.Parse(options.GetValueOrDefault("runs", "5"));
var postgres = options.GetValueOrDefault("postgres");
var folder = options.GetValueOrDefault("dir") ?? Path.Combine(Path.GetTempPath(), "dashboard-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(folder);

var now = new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);
var time = new FixedTime(now);
var databaseName = "dashboard_bench_" + Guid.NewGuid().ToString("N")[..8];
var factory = new Factory(postgres is null ? $"Data Source={Path.Combine(folder, "portal.db")}" : $"{postgres};Database={databaseName}", postgres is not null);

try
{
    if (postgres is not null)
    {
        await using var admin = new Npgsql.NpgsqlConnection(postgres + ";Database=postgres");
        await admin.OpenAsync();
        await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{databaseName}\"", admin);
        await create.ExecuteNonQueryAsync();
    }

    await using (var db = factory.CreateDbContext())
    {
        await db.Database.MigrateAsync();
    }

    var fill = Stopwatch.StartNew();
    var random = new Random(20);
    var integration = new Integration { Id = Guid.NewGuid(), Name = "bench", CreatedUtc = now.AddDays(-30), UpdatedUtc = now.AddDays(-30) };
    var webhooks = Enumerable.Range(1, 10).Select(i => new Webhook
    {
        Id = Guid.NewGuid(), IntegrationId = integration.Id, Name = $"hook-{i}", PostUrl = $"https://receiver-{i}.example.com/hooks", ProtectedSecret = "x",
        CreatedUtc = now.AddDays(-30), UpdatedUtc = now.AddDays(-30), FailingSinceUtc = i == 3 ? now.AddHours(-2) : null,
    }).ToList();
    await using (var db = factory.CreateDbContext())
    {
        db.Integrations.Add(integration);
        db.Webhooks.AddRange(webhooks);
        await db.SaveChangesAsync();
    }

    var listeners = Enumerable.Range(1, 20).Select(i => (Id: Guid.NewGuid(), Name: $"listener-{i:00}")).ToList();
    var span = TimeSpan.FromDays(7).Ticks;
    var body = "{\"data\":{\"items\":[{\"id\":12345,\"name\":\"Order 12345\",\"amount\":99.5,\"active\":true,\"customer\":{\"id\":77,\"city\":\"Lyon\"},\"lines\":[{\"sku\":\"A-1\",\"qty\":2},{\"sku\":\"B-2\",\"qty\":1}]}]}}";
    var headers = "{\"Content-Type\":\"application/json\",\"User-Agent\":\"erp/4.2\",\"X-Webhook-Token\":\"***\",\"X-Request-Id\":\"4f1c0e7a-0b5e-4c51-9c57-0d1b8f6f2d11\"}";
    const int batch = 10_000;
    for (var done = 0; done < logCount; done += batch)
    {
        await using var db = factory.CreateDbContext();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = done; i < Math.Min(logCount, done + batch); i++)
        {
            var at = now.AddTicks(-(long)(span * (1 - (double)i / logCount))); // oldest first, as they arrive
            var inbound = random.NextDouble() < 0.7;
            var error = random.NextDouble() < 0.05;
            var listener = listeners[random.Next(listeners.Count)];
            var webhook = webhooks[random.Next(webhooks.Count)];
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = at, Direction = inbound ? LogDirection.Inbound : LogDirection.Outbound, IntegrationId = integration.Id,
                SourceId = inbound ? listener.Id : webhook.Id, Name = inbound ? listener.Name : webhook.Name, Method = "POST",
                Path = inbound ? $"/hooks/{integration.Id}/{listener.Id}" : webhook.PostUrl, Status = error ? (inbound ? 422 : 503) : 200,
                State = error ? LogState.Error : LogState.Success, Error = error ? "The field 'id' is missing." : null, DurationMs = random.Next(2, 80),
                RequestHeaders = headers, RequestBody = body, ResponseHeaders = "{\"Content-Type\":\"application/json\"}", ResponseBody = "{\"inserted\":1,\"updated\":0,\"deleted\":0}",
                EventType = inbound ? null : "order.created", Attempt = inbound ? null : 1,
            });
        }

        await db.SaveChangesAsync();
    }

    Console.WriteLine($"filled {logCount:N0} log entries in {fill.Elapsed.TotalSeconds:0.0} s");
    fill.Restart();
    for (var done = 0; done < deliveryCount; done += batch)
    {
        await using var db = factory.CreateDbContext();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = done; i < Math.Min(deliveryCount, done + batch); i++)
        {
            var at = now.AddTicks(-(long)(span * (1 - (double)i / deliveryCount)));
            var webhook = webhooks[random.Next(webhooks.Count)];
            var roll = random.NextDouble();
            var state = roll < 0.90 ? DeliveryState.Delivered : roll < 0.94 ? DeliveryState.Failed : roll < 0.98 ? DeliveryState.Pending : roll < 0.99 ? DeliveryState.Held : DeliveryState.Cancelled;
            var message = new Message { Id = Guid.NewGuid(), IntegrationId = integration.Id, EventType = "order.created", Payload = body, CreatedUtc = at };
            db.Messages.Add(message);
            db.Deliveries.Add(new Delivery
            {
                Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = webhook.Id, TargetName = webhook.Name, Url = webhook.PostUrl,
                State = state, AttemptCount = state == DeliveryState.Delivered ? 1 : 3, NextAttemptUtc = at.AddMinutes(random.Next(-30, 30)),
                LastStatus = state == DeliveryState.Delivered ? 200 : 503, LastError = state == DeliveryState.Delivered ? null : "The receiver answered 503.", CreatedUtc = at, UpdatedUtc = at,
            });
        }

        await db.SaveChangesAsync();
    }

    Console.WriteLine($"filled {deliveryCount:N0} deliveries (and their messages) in {fill.Elapsed.TotalSeconds:0.0} s");
    if (postgres is null)
    {
        Console.WriteLine($"database file: {new FileInfo(Path.Combine(folder, "portal.db")).Length / 1024.0 / 1024:0} MiB");
    }
    else
    {
        await using var db = factory.CreateDbContext();
        await db.Database.ExecuteSqlRawAsync("ANALYZE");
    }

    var service = new DashboardService(factory, time);
    async Task TimeRangesAsync(string phase)
    {
        foreach (var range in DashboardRange.All)
        {
            var watch = Stopwatch.StartNew();
            var first = await service.GetAsync(range);
            var cold = watch.Elapsed;
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                watch.Restart();
                await service.GetAsync(range);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            Console.WriteLine($"{phase}, range {range.Key,-3}: first {cold.TotalMilliseconds,6:0} ms, median {times[times.Count / 2],6:0} ms, worst {times[^1],6:0} ms of {runs} " +
                $"| {first.Requests.Total:N0} requests ({first.Requests.TotalError:N0} errors) over {first.Listeners.Count} listeners, {first.Attempts.Total:N0} attempts, " +
                $"{first.Deliveries.Total:N0} deliveries, backlog {first.Backlog.Due:N0} due, {first.FailingWebhooks.Count} failing webhooks, {first.RecentErrors.Count} recent errors");
        }
    }

    // The same dashboard twice in one run: counted from the log alone (no roll-up yet, as right after an upgrade),
    // then after the minutely roll-up job's first run has rolled up the whole week.
    await TimeRangesAsync("log only  ");
    var rollup = Stopwatch.StartNew();
    var rows = await new TrafficRollupJob(factory, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<TrafficRollupJob>.Instance).RunAsync();
    Console.WriteLine($"roll-up job, first run over 7 days: {rows:N0} rows in {rollup.Elapsed.TotalMilliseconds:0} ms; a second run: " +
        $"{await MeasureAsync(() => new TrafficRollupJob(factory, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<TrafficRollupJob>.Instance).RunAsync()):0} ms");
    await TimeRangesAsync("roll-ups  ");
}
finally
{
    if (postgres is not null)
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var admin = new Npgsql.NpgsqlConnection(postgres + ";Database=postgres");
        await admin.OpenAsync();
        await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    if (!options.ContainsKey("dir"))
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}

static async Task<double> MeasureAsync(Func<Task> work)
{
    var watch = Stopwatch.StartNew();
    await work();
    return watch.Elapsed.TotalMilliseconds;
}

internal sealed class FixedTime(DateTime now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => new(now);
}

internal sealed class Factory(string connectionString, bool postgres) : IDbContextFactory<PortalDbContext>
{
    // Identity reads its schema version from the application's services, as in the app.
    private static readonly IServiceProvider IdentityServices = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
        .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
        .BuildServiceProvider();

    public PortalDbContext CreateDbContext() => postgres
        ? new PostgresPortalDbContext(new DbContextOptionsBuilder<PostgresPortalDbContext>().UseNpgsql(connectionString).UseApplicationServiceProvider(IdentityServices).Options)
        : new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(connectionString).UseApplicationServiceProvider(IdentityServices).Options);
}
