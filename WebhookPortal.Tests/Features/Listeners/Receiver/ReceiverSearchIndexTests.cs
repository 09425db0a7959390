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
        protected override void ConfigurePortal(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder) =>
            builder.UseSetting("Logs:SearchIndexInterval", "01:00:00");
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
