using System.Text.Json;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners;

public sealed class ListenerDataTabTests : PortalComponentTest
{
    public ListenerDataTabTests() => SignInAsSupport();

    private async Task<ListenerView> SeedAsync(params string[] records)
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "Shop", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using var scope = AdminScope();
        var listeners = scope.ServiceProvider.GetRequiredService<ListenerCatalog>();
        var listener = await listeners.CreateAsync(integrationId, new ListenerRequest("Orders", true, null, null));
        using var sample = JsonDocument.Parse("""{"id":1,"name":"x","items":[{"sku":"s","options":[{"code":"c"}]}]}""");
        await scope.ServiceProvider.GetRequiredService<TableDesigner>().GenerateTablesAsync(listener.Id, new TablesRequest(sample.RootElement.Clone(), "orders", null, ["id"]));
        listener = await listeners.GetAsync(listener.Id);

        // Stored the way the receiver stores them.
        await using var db2 = Database.CreateContext();
        await db2.Database.OpenConnectionAsync();
        var store = new RecordWriter(db2.Database.GetDbConnection(), null, SqlDialect.For(isSqlite: true), listener.Id, listener.Tables!);
        foreach (var record in records)
        {
            using var doc = JsonDocument.Parse(record);
            await store.UpsertAsync(doc.RootElement, "2026-11-23T12:00:00.0000000Z", CancellationToken.None);
        }

        return listener;
    }

    [Fact]
    public async Task Rows_unfold_into_their_child_rows_and_grandchild_rows()
    {
        var listener = await SeedAsync(
            """{"id":7,"name":"Seven","items":[{"sku":"A-1","options":[{"code":"red"},{"code":"blue"}]},{"sku":"B-2","options":[]}]}""",
            """{"id":8,"name":"Eight","items":[]}""");

        var cut = RenderWithProviders<ListenerDataTab>((nameof(ListenerDataTab.Listener), listener));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=expand-row]").Count));
        Assert.Contains("2 records", cut.Markup);
        Assert.Empty(cut.FindAll("[data-testid=child-rows]"));

        var seven = cut.FindAll("[data-testid=records-table] tbody tr").First(r => r.TextContent.Contains("Seven", StringComparison.Ordinal));
        seven.QuerySelector("[data-testid=expand-row]")!.Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=child-rows]")));
        var items = cut.FindAll("[data-testid=child-rows]")[0];
        Assert.Contains("A-1", items.TextContent);
        Assert.Contains("B-2", items.TextContent);
        var options = cut.FindAll("[data-testid=child-rows]")[1];
        Assert.Contains("red", options.TextContent);
        Assert.Contains("blue", options.TextContent);
        Assert.Contains("options (2)", items.TextContent);
    }

    [Fact]
    public async Task Search_narrows_the_rows_and_the_export_links_carry_the_search_and_sort()
    {
        var listener = await SeedAsync(
            """{"id":7,"name":"Blue widget","items":[]}""",
            """{"id":8,"name":"Red lamp","items":[]}""",
            """{"id":17,"name":"Green WIDGET","items":[]}""");
        var cut = RenderWithProviders<ListenerDataTab>((nameof(ListenerDataTab.Listener), listener));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=expand-row]").Count));

        cut.Find("input[data-testid=records-search]").Input("widget");
        Clock.Advance(TimeSpan.FromSeconds(1)); // past the field's debounce

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=expand-row]").Count), TimeSpan.FromSeconds(5));
        Assert.Contains("2 matching records", cut.Find("[data-testid=records-count]").TextContent);
        Assert.DoesNotContain("Red lamp", cut.Find("[data-testid=records-table]").TextContent);

        // Sorting by name ascending (one click on its header) puts Blue before Green.
        cut.FindAll(".mud-table-sort-label").First(l => l.TextContent.Trim() == "name").Click();
        cut.WaitForAssertion(() =>
        {
            var text = cut.Find("[data-testid=records-table] tbody").TextContent;
            Assert.True(text.IndexOf("Blue widget", StringComparison.Ordinal) < text.IndexOf("Green WIDGET", StringComparison.Ordinal), text);
        });

        cut.Find("[data-testid=records-export] button").Click();
        var csv = cut.WaitForElement("[data-testid=export-csv]").GetAttribute("href")!;
        Assert.Contains($"api/listeners/{listener.Id}/records/export?format=csv", csv);
        Assert.Contains("q=widget", csv);
        Assert.Contains("sort=name", csv);
        Assert.Contains("order=asc", csv);
        Assert.Contains("format=json", cut.Find("[data-testid=export-json]").GetAttribute("href"));
    }

    [Fact]
    public async Task A_search_without_hits_says_so()
    {
        var listener = await SeedAsync("""{"id":7,"name":"Blue widget","items":[]}""");
        var cut = RenderWithProviders<ListenerDataTab>((nameof(ListenerDataTab.Listener), listener));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=expand-row]")));

        cut.Find("input[data-testid=records-search]").Input("zebra");
        Clock.Advance(TimeSpan.FromSeconds(1)); // past the field's debounce

        cut.WaitForAssertion(() => Assert.Contains("No record has 'zebra'", cut.Find("[data-testid=records-empty]").TextContent), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Times_show_in_the_viewers_zone_with_the_utc_value_on_hover()
    {
        JSInterop.Setup<string?>("portal.timeZone").SetResult("America/New_York");
        var listener = await SeedAsync("""{"id":7,"name":"Blue widget","items":[]}""");

        var cut = RenderWithProviders<ListenerDataTab>((nameof(ListenerDataTab.Listener), listener));

        // Stored 2026-11-23T12:00Z; New York is five hours behind in November.
        cut.WaitForAssertion(() => Assert.Equal("2026-11-23 07:00:00 (UTC-05:00)", cut.Find("[data-testid=local-time]").TextContent));
        Assert.Equal("2026-11-23 12:00:00.000 UTC", cut.Find("[data-testid=local-time]").GetAttribute("title"));
    }

    [Fact]
    public async Task Times_stay_in_utc_and_say_so_when_the_browser_does_not_tell_its_zone()
    {
        JSInterop.Setup<string?>("portal.timeZone").SetResult(null);
        var listener = await SeedAsync("""{"id":7,"name":"Blue widget","items":[]}""");

        var cut = RenderWithProviders<ListenerDataTab>((nameof(ListenerDataTab.Listener), listener));

        cut.WaitForAssertion(() => Assert.Equal("2026-11-23 12:00:00 UTC", cut.Find("[data-testid=local-time]").TextContent));
    }

    [Fact]
    public void A_listener_without_tables_explains_what_to_do()
    {
        var listener = new ListenerView(Guid.NewGuid(), Guid.NewGuid(), "Empty", true, "http://portal.test/hooks/x/y", new ListenerAuthView(ListenerAuthMethod.None, TokenLocation.Header, null, null, false), null, null, DateTime.UtcNow, DateTime.UtcNow);

        var cut = RenderWithProviders<ListenerDataTab>((nameof(ListenerDataTab.Listener), listener));

        Assert.Contains("Generate Tables", cut.Find("[data-testid=data-no-tables]").TextContent);
    }
}
