using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WebhookPortal.Features.Dashboard;
using static WebhookPortal.Features.Logs.LogDirection;
using static WebhookPortal.Features.Logs.LogState;

namespace WebhookPortal.Tests.Features.Dashboard;

/// <summary>
/// The hourly roll-ups behind the 24-hour and 7-day charts (SQLite here, PostgreSQL when PORTAL_TEST_POSTGRES is set):
/// the same figures as counting the log, read from the roll-ups for whole hours and from the log after them, written
/// once per hour, only after the margin for late commits, and pruned after eight days. Fake clock: 2026-11-23 12:03 UTC.
/// </summary>
public sealed class TrafficRollupTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 11, 23, 12, 3, 0, DateTimeKind.Utc);
    private readonly DashboardDatabase database = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(Now));
    private readonly DashboardService service;
    private readonly TrafficRollupJob job;

    public TrafficRollupTests()
    {
        service = new DashboardService(database, clock);
        job = new TrafficRollupJob(database, clock, NullLogger<TrafficRollupJob>.Instance);
    }

    public void Dispose() => database.Dispose();

    private async Task SeedAsync() => await database.LogAsync(
        (new DateTime(2026, 11, 17, 9, 0, 0, DateTimeKind.Utc), Inbound, "erp", Success),   // 6 days ago: only in 7 d
        (new DateTime(2026, 11, 22, 13, 0, 0, DateTimeKind.Utc), Inbound, "crm", Success),  // the first instant of the 24 h window
        (new DateTime(2026, 11, 22, 13, 59, 59, DateTimeKind.Utc), Inbound, "crm", Error),
        (new DateTime(2026, 11, 23, 10, 59, 59, DateTimeKind.Utc), Inbound, "orders", Success),
        (new DateTime(2026, 11, 23, 11, 0, 0, DateTimeKind.Utc), Inbound, "orders", Success), // the hour that ended 3 minutes ago
        (new DateTime(2026, 11, 23, 11, 57, 0, DateTimeKind.Utc), Outbound, "crm-hook", Error),
        (new DateTime(2026, 11, 23, 12, 1, 0, DateTimeKind.Utc), Inbound, "orders", Error));   // this hour

    private static object Figures(DashboardView view) => new
    {
        Requests = (view.Requests.Success.ToArray(), view.Requests.Error.ToArray()),
        Attempts = (view.Attempts.Success.ToArray(), view.Attempts.Error.ToArray()),
        Listeners = view.Listeners.Select(l => $"{l.Name}:{string.Join(',', l.Traffic.Success)}/{string.Join(',', l.Traffic.Error)}").ToArray(),
    };

    [Fact]
    public async Task Whole_hours_are_read_from_the_roll_ups_and_the_rest_from_the_log_with_the_same_figures()
    {
        await SeedAsync();
        var day = System.Text.Json.JsonSerializer.Serialize(Figures(await service.GetAsync("24h")));
        var week = System.Text.Json.JsonSerializer.Serialize(Figures(await service.GetAsync("7d")));

        Assert.True(await job.RunAsync() > 0);

        // Rolled up to 11:00: the 11:00 hour ended only 3 minutes ago, inside the margin for late commits.
        await using (var db = database.CreateDbContext())
        {
            Assert.Equal(new DateTime(2026, 11, 23, 11, 0, 0, DateTimeKind.Utc), await TrafficRollupJob.RolledUpUntilAsync(db, CancellationToken.None));
            Assert.Equal(4, await db.TrafficRollups.SumAsync(r => r.Count));

            // The log of the rolled-up hours goes (as retention would): the charts still show it, so they read the roll-ups.
            Assert.Equal(4, await db.LogEntries.Where(e => e.TimeUtc < new DateTime(2026, 11, 23, 11, 0, 0, DateTimeKind.Utc)).ExecuteDeleteAsync());
        }

        Assert.Equal(day, System.Text.Json.JsonSerializer.Serialize(Figures(await service.GetAsync("24h"))));
        Assert.Equal(week, System.Text.Json.JsonSerializer.Serialize(Figures(await service.GetAsync("7d"))));

        // The last hour's 5-minute buckets (11:05 to 12:05) always come from the log: the 12:01 request.
        Assert.Equal(1, (await service.GetAsync("1h")).Requests.Total);
    }

    [Fact]
    public async Task Each_hour_is_rolled_up_once_and_entries_after_the_newest_roll_up_are_counted_from_the_log()
    {
        await SeedAsync();
        await job.RunAsync();
        Assert.Equal(0, await job.RunAsync());

        // Two hours later, with new traffic: the 11:00 and 12:00 hours are rolled up; nothing before them twice.
        clock.Advance(TimeSpan.FromHours(2));
        await database.LogAsync((new DateTime(2026, 11, 23, 13, 30, 0, DateTimeKind.Utc), Inbound, "orders", Success));
        Assert.True(await job.RunAsync() > 0);

        await using var db = database.CreateDbContext();
        Assert.Equal(new DateTime(2026, 11, 23, 13, 0, 0, DateTimeKind.Utc), await TrafficRollupJob.RolledUpUntilAsync(db, CancellationToken.None));
        Assert.Equal(7, await db.TrafficRollups.SumAsync(r => r.Count));
        var view = await service.GetAsync("24h");
        // The window is 2026-11-22 15:00 to 11-23 15:00: three requests from the roll-ups, the 13:30 one from the log.
        Assert.Equal(4, view.Requests.Total);
        Assert.Equal(1, view.Listeners.Single(l => l.Name == "orders").Traffic.Success[22]);
        Assert.Equal(1, view.Attempts.TotalError);
    }

    [Fact]
    public async Task Roll_ups_older_than_eight_days_are_dropped_and_an_empty_log_writes_nothing()
    {
        Assert.Equal(0, await job.RunAsync());

        await SeedAsync();
        await job.RunAsync();
        clock.Advance(TimeSpan.FromDays(6) + TimeSpan.FromHours(1)); // 2026-11-29 13:03: the 11-17 09:00 hour is 8 days and 4 hours old
        await job.RunAsync();

        await using var db = database.CreateDbContext();
        Assert.Empty(await db.TrafficRollups.Where(r => r.Name == "erp").ToListAsync());
        Assert.NotEmpty(await db.TrafficRollups.Where(r => r.Name == "crm").ToListAsync());
    }
}
