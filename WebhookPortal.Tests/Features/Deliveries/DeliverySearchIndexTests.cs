using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A delivery portal whose background search indexer runs once an hour and whose writers index as soon as one entry
/// waits (Logs:SearchIndexBatch 1): only a writer's own batch can index.
/// </summary>
public sealed class SlowIndexerDeliveryFactory : DeliveryPortalFactory
{
    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        base.ConfigurePortal(builder);
        builder.UseSetting("Logs:SearchIndexInterval", "01:00:00");
        builder.UseSetting("Logs:SearchIndexBatch", "1");
    }
}

/// <summary>
/// Issue 17: the attempt recorder puts an attempt's outbound log entry into SQLite's full-text index in the transaction
/// that records the attempt, so a drain does not leave the background indexer a backlog to hold the write lock for.
/// </summary>
public sealed class DeliverySearchIndexTests(SlowIndexerDeliveryFactory portal) : IClassFixture<SlowIndexerDeliveryFactory>
{
    [Fact]
    public async Task A_recorded_attempt_is_in_the_search_index_with_its_record()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        await portal.PublishAsync(webhook.IntegrationId, """{"word":"tlaloc"}""");
        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered);

        var (entry, indexedUntil, found) = await portal.WithDbAsync(async db =>
        {
            var entry = await db.LogEntries.AsNoTracking().SingleAsync(e => e.Direction == LogDirection.Outbound && e.SourceId == webhook.Id);
            if (portal.OnPostgres)
            {
                // PostgreSQL keeps the search vector in a generated column: written with the row, no mark to move.
                return (entry.Id, entry.Id, new List<long> { entry.Id });
            }

            var indexedUntil = (await db.Database.SqlQueryRaw<long>("SELECT \"IndexedUntil\" AS \"Value\" FROM \"LogSearchState\"").ToListAsync())[0];
            var found = await db.Database.SqlQueryRaw<long>("SELECT rowid AS \"Value\" FROM \"LogSearch\" WHERE \"LogSearch\" MATCH 'tlaloc'").ToListAsync();
            return (entry.Id, indexedUntil, found);
        });

        Assert.True(indexedUntil >= entry, $"The mark {indexedUntil} is below the attempt's entry {entry}.");
        Assert.Equal([entry], found);
        var hits = await portal.LogsAsync("q=tlaloc&direction=outbound");
        Assert.Equal(entry, Assert.Single(hits.GetProperty("items").EnumerateArray()).GetProperty("id").GetInt64());
    }
}
