using System.Net;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners.Receiver;

/// <summary>
/// The receiver's batch puts its log entries into SQLite's full-text index in its own transaction (issue 17: indexing
/// them later, in a transaction of its own, made the receiver wait). The background indexer is slowed to an hour here,
/// so only the receiver can have indexed them.
/// </summary>
public sealed class ReceiverSearchIndexTests(ReceiverSearchIndexTests.SlowIndexerPortal portal) : IClassFixture<ReceiverSearchIndexTests.SlowIndexerPortal>
{
    public sealed class SlowIndexerPortal : PortalFactory
    {
        protected override void ConfigurePortal(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            builder.UseSetting("Logs:SearchIndexInterval", "01:00:00");
            builder.UseSetting("Logs:SearchIndexBatch", "1");
        }
    }

    [Fact]
    public async Task Accepted_and_refused_requests_are_in_the_search_index_when_they_are_answered()
    {
        var listener = await portal.CreateListenerAsync();
        var accepted = await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath,
            "{\"data\":{\"items\":[{\"id\":7,\"name\":\"quetzalcoatl\",\"price\":1,\"active\":true,\"customer\":{\"city\":\"Lyon\"},\"tags\":[],\"comments\":[]}]}}"));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var refused = await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, "{\"data\":{\"items\":[{\"name\":\"xochiquetzal\"}]}}"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);

        var (entries, indexedUntil, found) = await portal.WithDbAsync(async db =>
        {
            var entries = await db.LogEntries.Where(e => e.SourceId == listener.Id).OrderBy(e => e.Id).Select(e => e.Id).ToListAsync();
            if (portal.OnPostgres)
            {
                // PostgreSQL keeps the search vector in a generated column: written with the row, no mark to move.
                return (entries, entries.Max(), entries);
            }

            var indexedUntil = (await db.Database.SqlQueryRaw<long>("SELECT \"IndexedUntil\" AS \"Value\" FROM \"LogSearchState\"").ToListAsync())[0];
            var found = await db.Database.SqlQueryRaw<long>(
                "SELECT rowid AS \"Value\" FROM \"LogSearch\" WHERE \"LogSearch\" MATCH 'quetzalcoatl OR xochiquetzal' ORDER BY rowid").ToListAsync();
            return (entries, indexedUntil, found);
        });

        Assert.Equal(2, entries.Count);
        Assert.True(indexedUntil >= entries.Max(), $"The mark {indexedUntil} is below the request's entry {entries.Max()}.");
        Assert.Equal(entries, found);

        // And the log search finds them through the API.
        var hits = await portal.LogsAsync($"q=quetzalcoatl&name={Uri.EscapeDataString(listener.Name)}");
        Assert.Equal(entries[0], Assert.Single(hits.GetProperty("items").EnumerateArray()).GetProperty("id").GetInt64());
    }
}

/// <summary>
/// The receiver's batches leave new entries to the search (and the background) until Logs:SearchIndexBatch (5 here)
/// wait, then index them all in one batch: FTS5 writes one segment per transaction, and a segment of a batch's few
/// dozen entries cost about 1.6 times the time per entry of a few hundred (issue 17). A search still sees every entry.
/// </summary>
public sealed class ReceiverSearchIndexBatchTests(ReceiverSearchIndexBatchTests.BatchedIndexPortal portal) : IClassFixture<ReceiverSearchIndexBatchTests.BatchedIndexPortal>
{
    public sealed class BatchedIndexPortal : PortalFactory
    {
        protected override void ConfigurePortal(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            builder.UseSetting("Logs:SearchIndexInterval", "01:00:00");
            builder.UseSetting("Logs:SearchIndexBatch", "5");
        }
    }

    private static string Item(int id, string name) =>
        $"{{\"data\":{{\"items\":[{{\"id\":{id},\"name\":\"{name}\",\"price\":1,\"active\":true,\"customer\":{{\"city\":\"Lyon\"}},\"tags\":[],\"comments\":[]}}]}}}}";

    private async Task<(List<long> Entries, long IndexedUntil, List<long> Indexed)> IndexStateAsync(Guid listenerId, string word) =>
        await portal.WithDbAsync(async db =>
        {
            var entries = await db.LogEntries.Where(e => e.SourceId == listenerId).OrderBy(e => e.Id).Select(e => e.Id).ToListAsync();
            var indexedUntil = (await db.Database.SqlQueryRaw<long>("SELECT \"IndexedUntil\" AS \"Value\" FROM \"LogSearchState\"").ToListAsync())[0];
            var indexed = await db.Database.SqlQueryRaw<long>(
                "SELECT rowid AS \"Value\" FROM \"LogSearch\" WHERE \"LogSearch\" MATCH {0} ORDER BY rowid", word).ToListAsync();
            return (entries, indexedUntil, indexed);
        });

    [Fact]
    public async Task Fewer_entries_than_the_batch_wait_for_the_search_and_the_batch_that_reaches_it_indexes_them_all()
    {
        var listener = await portal.CreateListenerAsync();
        for (var i = 1; i <= 2; i++)
        {
            var answer = await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Item(i, "tezcatlipoca")));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        if (!portal.OnPostgres)
        {
            // Two wait: the receiver's batches left them unindexed.
            var (entries, indexedUntil, indexed) = await IndexStateAsync(listener.Id, "tezcatlipoca");
            Assert.Equal(2, entries.Count);
            Assert.True(indexedUntil < entries[0], $"The mark {indexedUntil} already covers the entry {entries[0]}.");
            Assert.Empty(indexed);
        }

        // A search indexes what waits before it reads the index, so it finds both.
        var hits = await portal.LogsAsync($"q=tezcatlipoca&name={Uri.EscapeDataString(listener.Name)}");
        Assert.Equal(2, hits.GetProperty("items").GetArrayLength());
        if (portal.OnPostgres)
        {
            // PostgreSQL keeps the search vector in a generated column: written with the row, no mark to move.
            return;
        }

        var afterSearch = await IndexStateAsync(listener.Id, "tezcatlipoca");
        Assert.True(afterSearch.IndexedUntil >= afterSearch.Entries[^1], "The search did not index the entries waiting.");
        Assert.Equal(afterSearch.Entries, afterSearch.Indexed);

        // Four more wait (below 5); the fifth request's batch indexes all five, without a search.
        for (var i = 3; i <= 6; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Item(i, "huitzilopochtli")))).StatusCode);
        }

        var four = await IndexStateAsync(listener.Id, "huitzilopochtli");
        Assert.Empty(four.Indexed);
        Assert.Equal(HttpStatusCode.OK, (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Item(7, "huitzilopochtli")))).StatusCode);
        var five = await IndexStateAsync(listener.Id, "huitzilopochtli");
        Assert.Equal(7, five.Entries.Count);
        Assert.True(five.IndexedUntil >= five.Entries[^1], $"The mark {five.IndexedUntil} is below the fifth entry {five.Entries[^1]}.");
        Assert.Equal(five.Entries[2..], five.Indexed);
    }
}
