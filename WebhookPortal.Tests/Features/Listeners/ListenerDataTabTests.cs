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
    public void A_listener_without_tables_explains_what_to_do()
    {
        var listener = new ListenerView(Guid.NewGuid(), Guid.NewGuid(), "Empty", true, "http://portal.test/hooks/x/y", new ListenerAuthView(ListenerAuthMethod.None, TokenLocation.Header, null, null, false), null, null, DateTime.UtcNow, DateTime.UtcNow);

        var cut = RenderWithProviders<ListenerDataTab>((nameof(ListenerDataTab.Listener), listener));

        Assert.Contains("Generate Tables", cut.Find("[data-testid=data-no-tables]").TextContent);
    }
}
