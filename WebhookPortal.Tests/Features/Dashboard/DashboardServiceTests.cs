using Microsoft.Extensions.Time.Testing;
using WebhookPortal.Features.Dashboard;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Errors;
using static WebhookPortal.Features.Logs.LogDirection;
using static WebhookPortal.Features.Logs.LogState;

namespace WebhookPortal.Tests.Features.Dashboard;

/// <summary>
/// The dashboard's aggregates, computed by the database (SQLite here, PostgreSQL when PORTAL_TEST_POSTGRES is set):
/// bucket counts at the buckets' edges, the split per listener and state, deliveries by state, the backlog, the
/// webhooks failing most and the newest errors. The clock is fake: 2026-11-23 12:00 UTC.
/// </summary>
public sealed class DashboardServiceTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
    private readonly DashboardDatabase database = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(Now));
    private readonly DashboardService service;

    public DashboardServiceTests() => service = new DashboardService(database, clock);

    public void Dispose() => database.Dispose();

    [Fact]
    public void Windows_end_with_the_bucket_that_holds_now_and_are_aligned_to_UTC()
    {
        Assert.Equal((Now.AddMinutes(-55), Now.AddMinutes(5)), DashboardRange.LastHour.Window(Now));
        Assert.Equal((Now.AddHours(-23), Now.AddHours(1)), DashboardRange.LastDay.Window(Now));
        Assert.Equal((Now.AddHours(6).AddDays(-7), Now.AddHours(6)), DashboardRange.LastWeek.Window(Now));
        Assert.Equal((Now.AddMinutes(-55), Now.AddMinutes(5)), DashboardRange.LastHour.Window(Now.AddMinutes(4).AddSeconds(59)));
        Assert.Equal([12, 24, 28], DashboardRange.All.Select(r => r.BucketCount));
    }

    [Fact]
    public async Task Requests_are_counted_per_hour_per_listener_and_state_with_the_edges_in_the_right_bucket()
    {
        var from = Now.AddHours(-23); // 2026-11-22 13:00
        await database.LogAsync(
            (from.AddTicks(-1), Inbound, "crm", Success),          // just before the window: not counted
            (from, Inbound, "crm", Success),                       // the first instant of bucket 0
            (from.AddHours(1).AddTicks(-10), Inbound, "crm", Error), // the last of bucket 0 (fractions of a second are floored)
            (Now.AddMinutes(-50), Inbound, "orders", Success),     // 11:10, bucket 22
            (Now.AddMinutes(-30), Inbound, "orders", Success),
            (Now.AddMinutes(-20), Inbound, "orders", Success),
            (Now.AddMinutes(-10), Inbound, "orders", Error),
            (Now, Inbound, "orders", Success),                     // 12:00, bucket 23 (the one holding now)
            (Now.AddMinutes(-30), Outbound, "crm-hook", Error),    // an attempt, not a request
            (Now.AddMinutes(-29), Outbound, "crm-hook", Success));

        var view = await service.GetAsync("24h");

        Assert.Equal("24h", view.Range);
        Assert.Equal(60, view.BucketMinutes);
        Assert.Equal(24, view.Buckets.Count);
        Assert.Equal(from, view.Buckets[0]);
        Assert.Equal(Now, view.Buckets[23]);
        Assert.Equal(["orders", "crm"], view.Listeners.Select(l => l.Name));

        var orders = view.Listeners[0].Traffic;
        Assert.Equal(3, orders.Success[22]);
        Assert.Equal(1, orders.Error[22]);
        Assert.Equal(1, orders.Success[23]);
        Assert.Equal(4, orders.TotalSuccess);
        Assert.Equal(0, orders.Success.Take(22).Sum());

        var crm = view.Listeners[1].Traffic;
        Assert.Equal(1, crm.Success[0]);
        Assert.Equal(1, crm.Error[0]);
        Assert.Equal(2, crm.Total);

        Assert.Equal(7, view.Requests.Total);
        Assert.Equal(2, view.Requests.TotalError);
        Assert.Equal(4, view.Requests.Success[22] + view.Requests.Error[22]);
        Assert.Equal(1, view.Attempts.TotalSuccess);
        Assert.Equal(1, view.Attempts.Error[22]);
    }

    [Fact]
    public async Task The_last_hour_has_five_minute_buckets()
    {
        await database.LogAsync(
            (Now.AddMinutes(-55).AddTicks(-1), Inbound, "crm", Success), // 11:04:59.9999999: outside
            (Now.AddMinutes(-55), Inbound, "crm", Success),              // 11:05: bucket 0
            (Now.AddMinutes(-50).AddMilliseconds(-1), Inbound, "crm", Error), // 11:09:59.999: bucket 0
            (Now.AddMinutes(-50), Inbound, "crm", Success),              // 11:10: bucket 1
            (Now.AddSeconds(-1), Inbound, "crm", Error),                 // 11:59:59: bucket 10
            (Now.AddMinutes(4).AddSeconds(59), Inbound, "crm", Success)); // 12:04:59 (a clock a little ahead): bucket 11

        var view = await service.GetAsync("1h");

        Assert.Equal(12, view.Buckets.Count);
        Assert.Equal(5, view.BucketMinutes);
        var crm = Assert.Single(view.Listeners).Traffic;
        Assert.Equal([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], crm.Success);
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], crm.Error);
    }

    [Fact]
    public async Task Seven_days_have_six_hour_buckets()
    {
        // The window is 2026-11-16 18:00 to 2026-11-23 18:00; 2026-11-20 00:00 starts bucket 13.
        var thursday = new DateTime(2026, 11, 20, 0, 0, 0, DateTimeKind.Utc);
        await database.LogAsync(
            (thursday.AddHours(5).AddMinutes(59), Inbound, "erp", Success),
            (thursday.AddHours(6), Inbound, "erp", Success),
            (thursday.AddHours(6), Inbound, "erp", Error),
            (new DateTime(2026, 11, 16, 17, 59, 59, DateTimeKind.Utc), Inbound, "erp", Success));

        var view = await service.GetAsync("7d");

        Assert.Equal(28, view.Buckets.Count);
        Assert.Equal(new DateTime(2026, 11, 16, 18, 0, 0, DateTimeKind.Utc), view.FromUtc);
        var erp = Assert.Single(view.Listeners).Traffic;
        Assert.Equal(1, erp.Success[13]);
        Assert.Equal(1, erp.Success[14]);
        Assert.Equal(1, erp.Error[14]);
        Assert.Equal(3, erp.Total);
    }

    [Fact]
    public async Task Deliveries_are_counted_per_bucket_by_their_state_now()
    {
        var integration = await database.IntegrationAsync("Billing");
        var hook = await database.WebhookAsync(integration, "erp");
        await database.DeliveryAsync(hook, DeliveryState.Delivered, Now.AddMinutes(-30));
        await database.DeliveryAsync(hook, DeliveryState.Delivered, Now.AddMinutes(-20));
        await database.DeliveryAsync(hook, DeliveryState.Failed, Now.AddMinutes(-10));
        await database.DeliveryAsync(hook, DeliveryState.Pending, Now.AddMinutes(-5), nextAttempt: Now.AddMinutes(5));
        await database.DeliveryAsync(hook, DeliveryState.Delivered, Now.AddHours(-5));
        await database.DeliveryAsync(hook, DeliveryState.Held, Now.AddHours(-5));
        await database.DeliveryAsync(hook, DeliveryState.Cancelled, Now.AddHours(-6));
        await database.DeliveryAsync(hook, DeliveryState.Delivered, Now.AddDays(-2)); // outside 24 h

        var view = await service.GetAsync("24h");

        Assert.Equal(2, view.Deliveries.Delivered[22]);
        Assert.Equal(1, view.Deliveries.Failed[22]);
        Assert.Equal(1, view.Deliveries.Retrying[22]);
        Assert.Equal(1, view.Deliveries.Delivered[18]);
        Assert.Equal(3, view.Deliveries.TotalDelivered);
        Assert.Equal(1, view.Deliveries.Held);
        Assert.Equal(1, view.Deliveries.Cancelled);
        Assert.Equal(7, view.Deliveries.Total);
        Assert.Equal(4, (await service.GetAsync("1h")).Deliveries.Total);
    }

    [Fact]
    public async Task The_backlog_counts_due_deliveries_of_any_age_and_the_oldest_due_time()
    {
        var integration = await database.IntegrationAsync("Billing");
        var hook = await database.WebhookAsync(integration, "erp");
        await database.WebhookAsync(integration, "failing", w => w.FailingSinceUtc = Now.AddHours(-1));
        await database.WebhookAsync(integration, "off", w => w.Disable(Now.AddHours(-2), "Disabled by the failure rule.", Webhook.DisabledByFailureRule));
        await database.DeliveryAsync(hook, DeliveryState.Pending, Now.AddDays(-9), nextAttempt: Now.AddMinutes(-42)); // due for 42 min, created long ago
        await database.DeliveryAsync(hook, DeliveryState.Pending, Now.AddMinutes(-3), nextAttempt: Now);             // due now
        await database.DeliveryAsync(hook, DeliveryState.Pending, Now.AddMinutes(-3), nextAttempt: Now.AddMinutes(5)); // later
        await database.DeliveryAsync(hook, DeliveryState.Held, Now.AddMinutes(-3));
        await database.DeliveryAsync(hook, DeliveryState.Failed, Now.AddMinutes(-3), nextAttempt: Now.AddHours(-3));

        var backlog = (await service.GetAsync("1h")).Backlog;

        Assert.Equal(2, backlog.Due);
        Assert.Equal(Now.AddMinutes(-42), backlog.OldestDueUtc);
        Assert.Equal(TimeSpan.FromMinutes(42), backlog.OldestDueAge(Now));
        Assert.Equal(1, backlog.Scheduled);
        Assert.Equal(1, backlog.Held);
        Assert.Equal(2, backlog.UnhealthyWebhooks);
    }

    [Fact]
    public async Task An_empty_database_gives_zeros_and_empty_lists()
    {
        var view = await service.GetAsync("24h");

        Assert.Equal(0, view.Requests.Total);
        Assert.Empty(view.Listeners);
        Assert.Equal(24, view.Requests.Success.Count);
        Assert.Equal(0, view.Deliveries.Total);
        Assert.Equal(0, view.Backlog.Due);
        Assert.Null(view.Backlog.OldestDueUtc);
        Assert.Empty(view.FailingWebhooks);
        Assert.Empty(view.RecentErrors);
        Assert.Equal(Now, view.GeneratedUtc);
    }

    [Fact]
    public async Task The_webhooks_failing_most_come_first_with_their_health()
    {
        var integration = await database.IntegrationAsync("Billing");
        var worst = await database.WebhookAsync(integration, "worst", w => w.FailingSinceUtc = Now.AddMinutes(-40));
        var some = await database.WebhookAsync(integration, "some");
        var healthy = await database.WebhookAsync(integration, "healthy");
        var disabled = await database.WebhookAsync(integration, "gone", w => w.Disable(Now.AddHours(-1), "The receiver answered 410 Gone.", Webhook.DisabledByGone));
        for (var i = 0; i < 3; i++)
        {
            await database.DeliveryAsync(worst, DeliveryState.Failed, Now.AddMinutes(-30 - i));
        }

        await database.DeliveryAsync(worst, DeliveryState.Pending, Now.AddMinutes(-5), nextAttempt: Now.AddMinutes(5), attempts: 2);
        await database.DeliveryAsync(worst, DeliveryState.Delivered, Now.AddHours(-3));
        await database.DeliveryAsync(some, DeliveryState.Failed, Now.AddMinutes(-20));
        await database.DeliveryAsync(some, DeliveryState.Pending, Now.AddMinutes(-1), attempts: 0); // not tried yet: not "retrying"
        await database.DeliveryAsync(some, DeliveryState.Failed, Now.AddDays(-3));                 // outside the window
        await database.DeliveryAsync(healthy, DeliveryState.Delivered, Now.AddMinutes(-20));

        var failing = (await service.GetAsync("24h")).FailingWebhooks;

        Assert.Equal(["worst", "some", "gone"], failing.Select(f => f.Name));
        Assert.Equal((3L, 1L, 1L), (failing[0].Failed, failing[0].Retrying, failing[0].Delivered));
        Assert.Equal(WebhookHealth.Failing, failing[0].Health);
        Assert.Equal(Now.AddMinutes(-40), failing[0].HealthSince);
        Assert.Equal("Billing", failing[0].Integration);
        Assert.Equal((1L, 0L, 0L), (failing[1].Failed, failing[1].Retrying, failing[1].Delivered));
        Assert.Equal(WebhookHealth.Healthy, failing[1].Health);
        Assert.Equal(WebhookHealth.Disabled, failing[2].Health);
        Assert.Equal(disabled.Id, failing[2].Id);
        Assert.Equal(0, failing[2].Failed);
    }

    [Fact]
    public async Task At_most_five_webhooks_are_listed()
    {
        var integration = await database.IntegrationAsync("Billing");
        for (var i = 1; i <= 7; i++)
        {
            var hook = await database.WebhookAsync(integration, $"hook-{i}");
            for (var j = 0; j < i; j++)
            {
                await database.DeliveryAsync(hook, DeliveryState.Failed, Now.AddMinutes(-j - 1));
            }
        }

        var failing = (await service.GetAsync("24h")).FailingWebhooks;

        Assert.Equal(["hook-7", "hook-6", "hook-5", "hook-4", "hook-3"], failing.Select(f => f.Name));
    }

    [Fact]
    public async Task Recent_errors_are_the_newest_errors_of_the_window()
    {
        var entries = Enumerable.Range(1, 10).Select(i => (Now.AddMinutes(-i), i % 2 == 0 ? Inbound : Outbound, $"source-{i}", Error)).ToList();
        entries.Add((Now.AddSeconds(-10), Inbound, "fine", Success));
        entries.Add((Now.AddHours(-2), Inbound, "old", Error));
        await database.LogAsync([.. entries]);

        var hour = (await service.GetAsync("1h")).RecentErrors;

        Assert.Equal(DashboardService.RecentErrorCount, hour.Count);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => $"source-{i}"), hour.Select(e => e.Name));
        Assert.Equal(Outbound, hour[0].Direction);
        Assert.Equal(422, hour[0].Status);
        Assert.Equal("source-1 failed at 11:59:00", hour[0].Error);
        Assert.DoesNotContain((await service.GetAsync("24h")).RecentErrors, e => e.Name == "fine");
    }

    [Theory]
    [InlineData("2h")]
    [InlineData("")]
    [InlineData("24")]
    public async Task A_range_other_than_1h_24h_7d_is_refused(string range)
    {
        var error = await Assert.ThrowsAsync<PortalValidationException>(() => service.GetAsync(range));
        Assert.Contains("range", error.Errors.Keys);
    }

    [Fact]
    public async Task The_clock_moves_the_window()
    {
        await database.LogAsync((Now.AddMinutes(-50), Inbound, "crm", Success));
        Assert.Equal(1, (await service.GetAsync("1h")).Requests.Total);

        clock.Advance(TimeSpan.FromMinutes(15));

        var later = await service.GetAsync("1h");
        Assert.Equal(0, later.Requests.Total);
        Assert.Equal(Now.AddMinutes(15), later.GeneratedUtc);
    }
}
