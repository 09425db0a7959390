using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>A portal whose log keeps at most 10 entries per source, to test the cap.</summary>
public sealed class RetentionPortalFactory : PortalFactory
{
    protected override void ConfigurePortal(IWebHostBuilder builder) => builder.UseSetting("Logs:MaxEntriesPerSource", "10");
}

public sealed class RetentionTests(RetentionPortalFactory portal) : IClassFixture<RetentionPortalFactory>
{
    private async Task PostAsync(TestListener listener, int id) =>
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, $"{{\"data\":{{\"items\":{{\"id\":{id},\"comments\":[{{\"text\":\"c\"}}]}}}}}}"))).ReadJsonAsync(HttpStatusCode.OK);

    [Fact]
    public async Task Retention_deletes_only_aged_records_with_their_children_and_prunes_the_log()
    {
        var keepsForever = await portal.CreateListenerAsync();
        var monthly = await portal.CreateListenerAsync(retentionDays: 30);
        await PostAsync(monthly, 1);
        await PostAsync(keepsForever, 1);

        portal.Clock.Advance(TimeSpan.FromDays(20));
        await PostAsync(monthly, 2);
        portal.Clock.Advance(TimeSpan.FromDays(11));

        // Day 31: record 1 of the monthly listener is 31 days old, record 2 only 11.
        var run = await portal.RunRetentionAsync();

        Assert.Equal(1, run.Deleted("record", "records"));
        Assert.Contains($"({monthly.Name}: 1)", run.GetProperty("summary").GetString());
        var left = (await portal.RecordsAsync(monthly.Id)).GetProperty("items");
        Assert.Equal([2L], left.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray());
        Assert.Equal(1, await portal.RecordCountAsync(keepsForever.Id));

        // The children of the deleted record went with it.
        var childTable = WebhookPortal.Features.Listeners.Tables.SqlDialect.PhysicalName(monthly.Id, "orders_comments");
        var orphans = await portal.WithDbAsync(db => db.Database
            .SqlQueryRaw<long>("SELECT COUNT(*) AS \"Value\" FROM \"" + childTable + "\"").SingleAsync());
        Assert.Equal(1, orphans);

        // Log entries older than 30 days are gone, newer ones stay.
        Assert.True(run.Deleted("log entry", "log entries") >= 2);
        var oldest = await portal.WithDbAsync(db => db.LogEntries.MinAsync(e => e.TimeUtc));
        Assert.True(oldest >= portal.Clock.GetUtcNow().UtcDateTime.AddDays(-30));
    }

    [Fact]
    public async Task The_log_keeps_at_most_the_configured_entries_per_listener_the_newest()
    {
        var listener = await portal.CreateListenerAsync();
        for (var i = 1; i <= 14; i++)
        {
            await PostAsync(listener, i);
        }

        await portal.RunRetentionAsync();

        var entries = await portal.WithDbAsync(db => db.LogEntries.Where(e => e.SourceId == listener.Id).OrderBy(e => e.Id).Select(e => e.RequestBody).ToListAsync());
        Assert.Equal(10, entries.Count);
        Assert.Contains("\"id\":14", entries[^1]);
        Assert.Contains("\"id\":5", entries[0]);
    }

    [Fact]
    public async Task The_retention_job_is_registered_with_hangfire_on_the_configured_schedule()
    {
        using var scope = portal.Services.CreateScope();
        var storage = portal.Services.GetRequiredService<Hangfire.JobStorage>();
        using var connection = storage.GetConnection();
        var jobs = Hangfire.Storage.StorageConnectionExtensions.GetRecurringJobs(connection);
        var retention = Assert.Single(jobs, j => j.Id == "retention");
        Assert.Equal("0 * * * *", retention.Cron);
    }
}
