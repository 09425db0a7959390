using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners;

public sealed class GenerateTablesDialogTests : PortalComponentTest
{
    public GenerateTablesDialogTests() => SignInAsAdmin();

    private async Task<ListenerView> SeedListenerAsync()
    {
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = Guid.Parse("11111111-1111-1111-1111-111111111111"), Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using var scope = AdminScope();
        return await scope.ServiceProvider.GetRequiredService<ListenerCatalog>()
            .CreateAsync(Guid.Parse("11111111-1111-1111-1111-111111111111"), new ListenerRequest("Orders", true, null, null));
    }

    private async Task<(IRenderedComponent<ContainerFragment> Cut, Task<DialogResult?> Result, ListenerView Listener)> OpenAsync()
    {
        var listener = await SeedListenerAsync();
        var cut = RenderWithProviders<ContainerFragment>();
        IDialogReference? reference = null;
        var parameters = new DialogParameters<GenerateTablesDialog> { { d => d.Listener, listener } };
        await cut.InvokeAsync(async () => reference = await Services.GetRequiredService<IDialogService>().ShowAsync<GenerateTablesDialog>("Generate Tables", parameters));
        cut.WaitForAssertion(() => cut.Find("textarea[data-testid=sample-editor]"));
        return (cut, reference!.Result, listener);
    }

    [Fact]
    public async Task Invalid_json_is_marked_and_disables_preview_and_generate()
    {
        var (cut, _, _) = await OpenAsync();

        cut.Find("textarea[data-testid=sample-editor]").Input("{\"id\": 1,");

        cut.WaitForAssertion(() => Assert.Contains("Invalid JSON", cut.Find("[data-testid=sample-error]").TextContent));
        Assert.True(cut.Find("[data-testid=generate]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=preview-tables]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Preview_lists_tables_and_columns_then_generate_creates_them()
    {
        var (cut, result, listener) = await OpenAsync();
        cut.Find("textarea[data-testid=sample-editor]").Input("""{"data":[{"id":7,"name":"x","owner":{"email":"a@b.c"},"lines":[{"sku":"s","qty":2}]}]}""");
        cut.Find("input[data-testid=base-name]").Input("orders");
        cut.Find("input[data-testid=root-path]").Input("data");
        Assert.True(cut.Find("[data-testid=generate]").HasAttribute("disabled"));

        cut.Find("[data-testid=preview-tables]").Click();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=preview-table]").Count));
        var tables = cut.FindAll("[data-testid=preview-table]");
        Assert.Contains("orders", tables[0].TextContent);
        Assert.Contains("owner_email", tables[0].TextContent);
        Assert.Contains("orders_lines", tables[1].TextContent);
        Assert.Contains("qty", tables[1].TextContent);
        Assert.False(cut.Find("[data-testid=generate]").HasAttribute("disabled"));

        cut.Find("[data-testid=generate]").Click();

        var closed = await result.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(closed!.Canceled);
        await using var db = Database.CreateContext();
        var schema = (await db.Listeners.SingleAsync(l => l.Id == listener.Id)).GetSchema()!;
        Assert.Equal(["orders", "orders_lines"], schema.Tables.Select(t => t.Name).ToArray());
        Assert.Equal("id", Assert.Single(schema.KeyColumns).Name);
        Assert.Equal("data", schema.RootPath);
    }

    [Fact]
    public async Task Renaming_the_base_after_a_preview_asks_for_a_new_preview_and_generates_the_new_names()
    {
        var (cut, result, listener) = await OpenAsync();
        cut.Find("textarea[data-testid=sample-editor]").Input("""{"id":7,"lines":[{"sku":"s"}]}""");
        cut.Find("[data-testid=preview-tables]").Click();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=preview-table]").Count));

        // A preview of the old names must not be generated under the new ones.
        cut.Find("input[data-testid=base-name]").Input("orders");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=preview-table]")));
        Assert.True(cut.Find("[data-testid=generate]").HasAttribute("disabled"));

        cut.Find("[data-testid=preview-tables]").Click();
        cut.WaitForAssertion(() => Assert.Contains("orders_lines", cut.FindAll("[data-testid=preview-table]")[1].TextContent));
        cut.Find("[data-testid=generate]").Click();

        var closed = await result.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(closed!.Canceled);
        await using var db = Database.CreateContext();
        Assert.Equal(["orders", "orders_lines"], (await db.Listeners.SingleAsync(l => l.Id == listener.Id)).GetSchema()!.Tables.Select(t => t.Name).ToArray());
    }

    [Fact]
    public async Task Without_a_key_column_generate_stays_disabled()
    {
        var (cut, _, _) = await OpenAsync();
        cut.Find("textarea[data-testid=sample-editor]").Input("""{"code":"a","name":"x"}""");
        cut.Find("[data-testid=preview-tables]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=key-hint]"));

        Assert.True(cut.Find("[data-testid=generate]").HasAttribute("disabled"));
    }
}
