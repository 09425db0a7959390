using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Errors;
using static WebhookPortal.Tests.Features.Logs.LogSearchDatabase;

namespace WebhookPortal.Tests.Features.Logs;

/// <summary>
/// The log search on the database itself (SQLite, or PostgreSQL when PORTAL_TEST_POSTGRES is set): keyset paging,
/// the capped count, and the full-text index, which triggers (SQLite) or a generated column (PostgreSQL) keep in step.
/// </summary>
public sealed class LogSearchTests : IDisposable
{
    private static readonly DateTime T0 = new(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc);
    private readonly LogSearchDatabase database = new();

    public void Dispose() => database.Dispose();

    private static LogQuery Query(string? q = null, string? name = null, string? state = null, string? direction = null, DateTime? from = null, int pageSize = 50, string? cursor = null, int page = 1) =>
        new(direction, name, state, from, null, q, null, null, page, pageSize, cursor);

    private async Task<List<long>> AllPagesAsync(LogQuery first, Func<int, Task>? betweenPages = null)
    {
        var service = database.Service();
        var ids = new List<long>();
        var page = await service.SearchAsync(first);
        for (var n = 1; ; n++)
        {
            ids.AddRange(page.Items.Select(i => i.Id));
            if (page.Next is null)
            {
                return ids;
            }

            if (betweenPages is not null)
            {
                await betweenPages(n);
            }

            page = await service.SearchAsync(first with { Cursor = page.Next });
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("payload")]
    public async Task Keyset_pages_return_every_entry_once_newest_first_while_new_entries_arrive(string? q)
    {
        // Times repeat (a batch logs many requests at one instant) and one entry is logged after newer ones (an attempt
        // logged when it ended): the order is (time, id) without text and id with text, each entry on one page only.
        var entries = new List<LogEntry>();
        for (var i = 0; i < 23; i++)
        {
            entries.Add(Entry(T0.AddSeconds(i / 3), requestBody: $"{{\"n\":{i},\"text\":\"payload {i}\"}}"));
        }

        entries.Add(Entry(T0.AddSeconds(-30), requestBody: "{\"text\":\"payload late\"}"));
        await database.AddAsync([.. entries]);

        var seen = await AllPagesAsync(Query(q, pageSize: 5), async page =>
            await database.AddAsync(Entry(T0.AddMinutes(10 + page), requestBody: "{\"text\":\"payload new\"}")));

        var expected = q is null
            ? entries.OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id).Select(e => e.Id).ToList()
            : entries.OrderByDescending(e => e.Id).Select(e => e.Id).ToList();
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Keyset_pages_keep_the_filters_and_offset_pages_still_work()
    {
        for (var i = 0; i < 12; i++)
        {
            await database.AddAsync(Entry(T0.AddMinutes(i), name: i % 2 == 0 ? "orders" : "invoices", state: i % 3 == 0 ? LogState.Error : LogState.Success, error: i % 3 == 0 ? "refused" : null));
        }

        var service = database.Service();
        var first = await service.SearchAsync(Query(name: "orders", pageSize: 2));
        var second = await service.SearchAsync(Query(name: "orders", pageSize: 2, cursor: first.Next));
        var byOffset = await service.SearchAsync(new LogQuery(null, "orders", null, null, null, null, null, null, 2, 2));

        Assert.Equal(6, first.Total);
        Assert.Equal(byOffset.Items.Select(i => i.Id), second.Items.Select(i => i.Id));
        Assert.All(second.Items, i => Assert.Equal("orders", i.Name));
        Assert.True(second.Items[0].Time < first.Items[^1].Time);
        // An offset page gives the cursor after it too.
        var third = await service.SearchAsync(Query(name: "orders", pageSize: 2, cursor: byOffset.Next));
        Assert.Equal(2, third.Items.Count);
        Assert.Null(third.Next);
        Assert.Equal(2, (await AllPagesAsync(Query(name: "orders", state: "error", pageSize: 1))).Count);
    }

    [Fact]
    public async Task A_cursor_that_was_changed_or_belongs_to_another_search_is_refused()
    {
        for (var i = 0; i < 4; i++)
        {
            await database.AddAsync(Entry(T0.AddMinutes(i)));
        }

        var service = database.Service();
        var next = (await service.SearchAsync(Query(pageSize: 2))).Next!;
        var changed = next[..^2] + (next[^2] == 'A' ? "B" : "A") + next[^1];

        foreach (var bad in new[] { changed, next[..20], "not-a-cursor", "%%%" })
        {
            var refused = await Assert.ThrowsAsync<PortalValidationException>(() => service.SearchAsync(Query(pageSize: 2, cursor: bad)));
            Assert.Contains("cursor", refused.Errors.Keys);
        }

        var otherSearch = await Assert.ThrowsAsync<PortalValidationException>(() => service.SearchAsync(Query(state: "error", pageSize: 2, cursor: next)));
        Assert.Contains("another search", otherSearch.Message);
        await Assert.ThrowsAsync<PortalValidationException>(() => service.SearchAsync(new LogQuery(null, null, null, null, null, null, null, null, 2, 2, next)));
        Assert.Equal(2, (await service.SearchAsync(Query(pageSize: 2, cursor: next))).Items.Count);
    }

    [Fact]
    public async Task The_count_stops_at_the_limit_and_says_so()
    {
        for (var i = 0; i < 8; i++)
        {
            await database.AddAsync(Entry(T0.AddMinutes(i), state: i < 3 ? LogState.Error : LogState.Success, requestBody: i < 6 ? "{\"city\":\"Lyon\"}" : "{\"city\":\"Oslo\"}"));
        }

        var service = database.Service(countLimit: 5);

        var all = await service.SearchAsync(Query(pageSize: 2));
        Assert.Equal((5, true, "5+"), (all.Total, all.TotalCapped, all.TotalText));
        var errors = await service.SearchAsync(Query(state: "error"));
        Assert.Equal((3, false), (errors.Total, errors.TotalCapped));
        // With free text: counted in the full-text index alone, and with a time filter through the entries.
        var lyon = await service.SearchAsync(Query(q: "lyon", pageSize: 2));
        Assert.Equal((5, true), (lyon.Total, lyon.TotalCapped));
        var lyonErrors = await service.SearchAsync(Query(q: "lyon", state: "error"));
        Assert.Equal((3, false), (lyonErrors.Total, lyonErrors.TotalCapped));
        var lyonLater = await service.SearchAsync(Query(q: "lyon", from: T0.AddMinutes(2)));
        Assert.Equal((4, false), (lyonLater.Total, lyonLater.TotalCapped));
        var exact = await database.Service(countLimit: 8).SearchAsync(Query());
        Assert.Equal((8, false), (exact.Total, exact.TotalCapped));
    }

    [Fact]
    public async Task A_text_search_stops_counting_at_its_own_lower_limit_and_a_first_page_that_is_not_full_is_its_own_count()
    {
        for (var i = 0; i < 8; i++)
        {
            await database.AddAsync(Entry(T0.AddMinutes(i), state: i < 3 ? LogState.Error : LogState.Success, requestBody: i < 6 ? "{\"city\":\"Lyon\"}" : "{\"city\":\"Oslo\"}"));
        }

        var service = database.Service(countLimit: 7, textCountLimit: 4);

        // Filters count up to CountLimit, text up to TextCountLimit, on every page of the search.
        var all = await service.SearchAsync(Query(pageSize: 2));
        Assert.Equal((7, true), (all.Total, all.TotalCapped));
        var lyon = await service.SearchAsync(Query(q: "lyon", pageSize: 2));
        Assert.Equal((4, true, "4+"), (lyon.Total, lyon.TotalCapped, lyon.TotalText));
        var lyonNext = await service.SearchAsync(Query(q: "lyon", pageSize: 2, cursor: lyon.Next));
        Assert.Equal((4, true, 2), (lyonNext.Total, lyonNext.TotalCapped, lyonNext.Items.Count));
        var lyonTime = await service.SearchAsync(Query(q: "lyon", from: T0.AddMinutes(1), pageSize: 2));
        Assert.Equal((4, true), (lyonTime.Total, lyonTime.TotalCapped));

        // Every match on one page: the page is the count, exact, and still capped at the limit when the page is larger.
        var oslo = await service.SearchAsync(Query(q: "oslo"));
        Assert.Equal((2, false, 2), (oslo.Total, oslo.TotalCapped, oslo.Items.Count));
        var lyonOnePage = await service.SearchAsync(Query(q: "lyon", pageSize: 50));
        Assert.Equal((4, true, 6), (lyonOnePage.Total, lyonOnePage.TotalCapped, lyonOnePage.Items.Count));
        var errors = await service.SearchAsync(Query(state: "error", pageSize: 50));
        Assert.Equal((3, false, 3), (errors.Total, errors.TotalCapped, errors.Items.Count));
        var lastPage = await service.SearchAsync(Query(pageSize: 3, page: 3));
        Assert.Equal((7, true, 2), (lastPage.Total, lastPage.TotalCapped, lastPage.Items.Count));
    }

    [Fact]
    public async Task Text_search_finds_words_in_the_request_body_the_response_body_and_the_error_and_nothing_else()
    {
        var (inRequest, inResponse, inError, inEvent, elsewhere) = (
            Entry(T0, requestBody: "{\"order\":{\"id\":\"A-1001\",\"city\":\"Stockholm\"}}"),
            Entry(T0.AddMinutes(1), direction: LogDirection.Outbound, name: "crm", responseBody: "{\"ok\":false,\"reason\":\"quota exceeded\"}"),
            Entry(T0.AddMinutes(2), state: LogState.Error, error: "The field 'amount' must be a number."),
            Entry(T0.AddMinutes(3), direction: LogDirection.Outbound, name: "crm", eventType: "order.cancelled"),
            Entry(T0.AddMinutes(4), requestBody: "{\"orders\":[],\"note\":\"amounts quotas\"}", responseBody: "{\"inserted\":0}", error: null));
        await database.AddAsync(inRequest, inResponse, inError, inEvent, elsewhere);
        var service = database.Service();
        async Task<long[]> Ids(string q, string? name = null, string? state = null, string? direction = null) =>
            [.. (await service.SearchAsync(Query(q, name, state, direction))).Items.Select(i => i.Id).Order()];

        Assert.Equal([inRequest.Id], await Ids("A-1001"));
        Assert.Equal([inRequest.Id], await Ids("STOCKHOLM"));
        Assert.Equal([inResponse.Id], await Ids("quota exceeded"));
        Assert.Equal([inError.Id], await Ids("'amount' must"));
        Assert.Equal([inEvent.Id], await Ids("order.cancelled"));
        // Words side by side and in order; whole words while they match as typed.
        Assert.Empty(await Ids("exceeded quota"));
        Assert.Equal([inRequest.Id, inEvent.Id], await Ids("order"));
        Assert.Empty(await Ids("zanzibar"));
        // The last word as the start of a word: asked for with *, or when the words as typed match nothing.
        Assert.Equal([inRequest.Id, inEvent.Id, elsewhere.Id], await Ids("order*"));
        Assert.Equal([inRequest.Id], await Ids("Stockh"));
        Assert.Equal([inRequest.Id], await Ids("A-10"));
        Assert.Empty(await Ids("\"Stockh\""));
        Assert.Empty(await Ids("der-1001"));
        // Within the filters the page offers.
        Assert.Equal([inResponse.Id], await Ids("quota", name: "crm", direction: "outbound"));
        Assert.Empty(await Ids("quota", name: "sales"));
        Assert.Equal([inError.Id], await Ids("amount", state: "error"));
        Assert.Empty(await Ids("amount", state: "success"));
        Assert.Empty(await Ids("cancelled", direction: "inbound"));
    }

    [Fact]
    public async Task Text_search_follows_deletes_and_updates()
    {
        var old = await database.AddAsync(Entry(T0.AddDays(-40), requestBody: "{\"ref\":\"expired-7\"}"), Entry(T0, requestBody: "{\"ref\":\"kept-7\"}"));
        var service = database.Service();
        // These two are in the index (a search indexes what was logged before it); the next one is not yet when it goes.
        Assert.Single((await service.SearchAsync(Query("expired"))).Items);
        var newest = (await database.AddAsync(Entry(T0.AddMinutes(1), requestBody: "{\"ref\":\"newest-7\"}")))[0];
        await using (var db = database.CreateDbContext())
        {
            // What retention runs; then the newest entry goes too, so that SQLite may give its id to the next entry.
            await db.LogEntries.Where(e => e.TimeUtc < T0.AddDays(-30)).ExecuteDeleteAsync();
            await db.LogEntries.Where(e => e.Id == newest.Id).ExecuteDeleteAsync();
        }

        var next = (await database.AddAsync(Entry(T0.AddMinutes(2), requestBody: "{\"ref\":\"after-7\"}")))[0];

        Assert.Empty((await service.SearchAsync(Query("expired"))).Items);
        Assert.Empty((await service.SearchAsync(Query("newest"))).Items);
        Assert.Equal(0, (await service.SearchAsync(Query("newest"))).Total);
        Assert.Equal(next.Id, Assert.Single((await service.SearchAsync(Query("after"))).Items).Id);
        Assert.Equal(old[1].Id, Assert.Single((await service.SearchAsync(Query("kept"))).Items).Id);

        await using (var db = database.CreateDbContext())
        {
            await db.LogEntries.Where(e => e.Id == next.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Error, "rewritten").SetProperty(e => e.State, LogState.Error));
        }

        Assert.Equal(next.Id, Assert.Single((await service.SearchAsync(Query("rewritten", state: "error"))).Items).Id);
        Assert.Equal(next.Id, Assert.Single((await service.SearchAsync(Query("after", state: "error"))).Items).Id);
        Assert.Empty((await service.SearchAsync(Query("after", state: "success"))).Items);
    }

    [Fact]
    public async Task New_entries_are_indexed_in_chunks_above_the_mark_each_once()
    {
        for (var i = 0; i < 12; i++)
        {
            await database.AddAsync(Entry(T0.AddMinutes(i), requestBody: $"{{\"batch\":\"chunked\",\"n\":\"n{i}\"}}"));
        }

        await using (var db = database.CreateDbContext())
        {
            // SQLite indexes new entries in the background and before each text search; PostgreSQL as they are written.
            Assert.Equal(database.OnPostgres ? 0 : 12, await LogSearchIndex.CatchUpAsync(db, CancellationToken.None, chunkSize: 5));
            Assert.Equal(0, await LogSearchIndex.CatchUpAsync(db, CancellationToken.None, chunkSize: 5));
        }

        var page = await database.Service().SearchAsync(Query("chunked"));
        Assert.Equal(12, page.Total);
        Assert.Equal(12, page.Items.Select(i => i.Id).Distinct().Count());
        Assert.Single((await database.Service().SearchAsync(Query("n11"))).Items);
    }

    [Fact]
    public async Task A_writers_batch_indexes_only_once_the_batch_size_waits_and_then_all_that_wait()
    {
        for (var i = 0; i < 3; i++)
        {
            await database.AddAsync(Entry(T0.AddMinutes(i), requestBody: $"{{\"word\":\"mictlan\",\"n\":{i}}}"));
        }

        await using (var db = database.CreateDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            // Three wait, fewer than four: the writer's batch leaves them (SQLite); PostgreSQL has nothing to index.
            Assert.Equal(0, await LogSearchIndex.IndexWrittenAsync(db, batch: 4, CancellationToken.None));
            db.LogEntries.Add(Entry(T0.AddMinutes(3), requestBody: "{\"word\":\"mictlan\",\"n\":3}"));
            await db.SaveChangesAsync();
            // Four wait: all four are indexed in the writer's transaction.
            Assert.Equal(database.OnPostgres ? 0 : 4, await LogSearchIndex.IndexWrittenAsync(db, batch: 4, CancellationToken.None));
            Assert.Equal(0, await LogSearchIndex.IndexWrittenAsync(db, batch: 1, CancellationToken.None));
            await transaction.CommitAsync();
        }

        await using (var db = database.CreateDbContext())
        {
            // Nothing is left for the search to index first.
            Assert.Equal(0, await LogSearchIndex.CatchUpAsync(db, CancellationToken.None));
        }

        Assert.Equal(4, (await database.Service().SearchAsync(Query("mictlan"))).Total);
    }

    [Fact]
    public async Task A_search_indexes_what_waits_in_its_turn_behind_the_writers()
    {
        await database.AddAsync(Entry(T0, requestBody: "{\"word\":\"chalchiuhtlicue\"}"));
        using var gate = new WebhookPortal.Infrastructure.Database.WriteGate(takesTurns: true);
        var service = new LogService(database, Microsoft.Extensions.Options.Options.Create(new LogOptions()), database.Protection, gate);

        var writersTurn = await gate.EnterAsync();
        var search = service.SearchAsync(Query("chalchiuhtlicue"));
        if (!database.OnPostgres)
        {
            // SQLite: the search has an entry to index first, and waits while a writer has its turn.
            await Task.WhenAny(search, Task.Delay(TimeSpan.FromMilliseconds(300)));
            Assert.False(search.IsCompleted, "The search indexed during a writer's turn.");
        }

        writersTurn.Dispose();
        var page = await search.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, page.Total);
    }

    [Theory]
    [InlineData("--- ...")]
    [InlineData("*")]
    public async Task A_search_without_a_letter_or_digit_is_refused(string q)
    {
        var refused = await Assert.ThrowsAsync<PortalValidationException>(() => database.Service().SearchAsync(Query(q)));
        Assert.Contains("q", refused.Errors.Keys);
    }
}

/// <summary>The migration that adds the full-text index fills it with the entries logged before it, and goes back down.</summary>
public sealed class LogSearchMigrationTests
{
    [Fact]
    public async Task The_search_index_is_filled_with_entries_logged_before_the_migration()
    {
        using var database = new LogSearchDatabase(migrateTo: "DashboardRollupsAndTraces");
        var before = await database.AddAsync(
            Entry(new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc), requestBody: "{\"sku\":\"legacy-42\"}"),
            Entry(new DateTime(2026, 11, 2, 0, 0, 0, DateTimeKind.Utc), state: LogState.Error, error: "legacy failure"));

        await using (var db = database.CreateDbContext())
        {
            await db.Database.MigrateAsync();
        }

        var service = database.Service();
        Assert.Equal(before[0].Id, Assert.Single((await service.SearchAsync(new LogQuery(null, null, null, null, null, "legacy 42", null, null))).Items).Id);
        Assert.Equal(before[1].Id, Assert.Single((await service.SearchAsync(new LogQuery(null, null, "error", null, null, "legacy", null, null))).Items).Id);

        // Down removes the index and its triggers: entries are logged (and deleted) as before it.
        await using (var db = database.CreateDbContext())
        {
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync("DashboardRollupsAndTraces");
            db.LogEntries.Add(Entry(new DateTime(2026, 11, 3, 0, 0, 0, DateTimeKind.Utc)));
            await db.SaveChangesAsync();
            await db.LogEntries.Where(e => e.Id == before[0].Id).ExecuteDeleteAsync();
            await db.Database.MigrateAsync();
        }

        Assert.Equal(before[1].Id, Assert.Single((await service.SearchAsync(new LogQuery(null, null, null, null, null, "legacy", null, null))).Items).Id);
    }
}
