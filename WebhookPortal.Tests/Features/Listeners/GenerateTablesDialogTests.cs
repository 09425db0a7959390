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
        Assert.Equal("owner_email", cut.Find("input[data-testid=column-name-orders-owner_email]").GetAttribute("value"));
        Assert.Contains("owner.email", tables[0].TextContent);
        Assert.Contains("orders_lines", tables[1].TextContent);
        Assert.Equal("qty", cut.Find("input[data-testid=column-name-orders_lines-qty]").GetAttribute("value"));
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
    private static string Sql(IRenderedComponent<ContainerFragment> cut) => cut.Find("[data-testid=sql-preview]").TextContent;

    private static async Task ChooseTypeAsync(IRenderedComponent<ContainerFragment> cut, string testId, WebhookPortal.Features.Listeners.Tables.ColumnType type)
    {
        var select = cut.FindComponents<MudSelect<WebhookPortal.Features.Listeners.Tables.ColumnType>>()
            .Single(s => s.Instance.UserAttributes.TryGetValue("data-testid", out var id) && (string?)id == testId);
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(type));
    }

    private static async Task<IRenderedComponent<ContainerFragment>> PreviewAsync(IRenderedComponent<ContainerFragment> cut, string sample)
    {
        cut.Find("textarea[data-testid=sample-editor]").Input(sample);
        cut.Find("[data-testid=preview-tables]").Click();
        cut.WaitForAssertion(() => Assert.Contains("CREATE TABLE", Sql(cut)));
        return cut;
    }

    [Fact]
    public async Task Renaming_and_retyping_a_column_changes_the_sql_preview()
    {
        var (cut, _, _) = await OpenAsync();
        await PreviewAsync(cut, """{"id":7,"name":"x","price":1.5}""");
        Assert.Contains("\"name\" TEXT", Sql(cut));
        Assert.Contains("\"price\" REAL", Sql(cut));

        cut.Find("input[data-testid=column-name-records-name]").Input("title");
        cut.WaitForAssertion(() => Assert.Contains("\"title\" TEXT", Sql(cut)));
        Assert.DoesNotContain("\"name\"", Sql(cut));

        await ChooseTypeAsync(cut, "column-type-records-price", WebhookPortal.Features.Listeners.Tables.ColumnType.Text);
        cut.WaitForAssertion(() => Assert.Contains("\"price\" TEXT", Sql(cut)));
        Assert.Contains("PRIMARY KEY (\"id\")", Sql(cut));
    }

    [Theory]
    [InlineData("1st", "starting with a letter")]
    [InlineData("price", "already named 'price'")]
    [InlineData("lastModified", "keeps itself")]
    public async Task An_invalid_name_shows_its_error_hides_the_sql_and_disables_generate(string name, string error)
    {
        var (cut, _, _) = await OpenAsync();
        await PreviewAsync(cut, """{"id":7,"name":"x","price":1.5}""");

        cut.Find("input[data-testid=column-name-records-name]").Input(name);

        cut.WaitForAssertion(() => Assert.Contains(error, cut.Find("[data-testid=preview-table]").TextContent));
        Assert.Contains("Fix the column names", cut.Find("[data-testid=sql-unavailable]").TextContent);
        Assert.True(cut.Find("[data-testid=generate]").HasAttribute("disabled"));

        cut.Find("input[data-testid=column-name-records-name]").Input("title");
        cut.WaitForAssertion(() => Assert.Contains("\"title\" TEXT", Sql(cut)));
        Assert.False(cut.Find("[data-testid=generate]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Generate_sends_the_renames_and_retypes_and_the_columns_keep_their_json_fields()
    {
        var (cut, result, listener) = await OpenAsync();
        await PreviewAsync(cut, """{"id":7,"name":"x","price":1.5,"owner":{"email":"a@b.c"}}""");
        cut.Find("input[data-testid=column-name-records-id]").Input("order_id");
        cut.Find("input[data-testid=column-name-records-owner_email]").Input("email");
        await ChooseTypeAsync(cut, "column-type-records-price", WebhookPortal.Features.Listeners.Tables.ColumnType.Text);
        cut.WaitForAssertion(() => Assert.Contains("PRIMARY KEY (\"order_id\")", Sql(cut)));
        cut.WaitForAssertion(() => Assert.Contains("\"price\" TEXT", Sql(cut)));

        cut.Find("[data-testid=generate]").Click();

        var closed = await result.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(closed!.Canceled);
        await using var db = Database.CreateContext();
        var schema = (await db.Listeners.SingleAsync(l => l.Id == listener.Id)).GetSchema()!;
        var columns = schema.Root.Columns.ToDictionary(c => c.Name);
        Assert.Equal(["order_id", "name", "price", "email"], schema.Root.Columns.Select(c => c.Name).ToArray());
        Assert.True(columns["order_id"].PrimaryKey);
        Assert.Equal(["id"], columns["order_id"].Source);
        Assert.Equal(["owner", "email"], columns["email"].Source);
        Assert.Equal(WebhookPortal.Features.Listeners.Tables.ColumnType.Text, columns["price"].Type);
    }

    [Fact]
    public async Task Generating_again_starts_from_the_names_given_before()
    {
        var (cut, result, listener) = await OpenAsync();
        await PreviewAsync(cut, """{"id":7,"name":"x"}""");
        cut.Find("input[data-testid=column-name-records-name]").Input("title");
        cut.WaitForAssertion(() => Assert.Contains("\"title\" TEXT", Sql(cut)));
        cut.Find("[data-testid=generate]").Click();
        await result.WaitAsync(TimeSpan.FromSeconds(5));

        using var scope = AdminScope();
        var updated = await scope.ServiceProvider.GetRequiredService<ListenerCatalog>().GetAsync(listener.Id);
        IDialogReference? again = null;
        await cut.InvokeAsync(async () => again = await Services.GetRequiredService<IDialogService>().ShowAsync<GenerateTablesDialog>("Generate Tables",
            new DialogParameters<GenerateTablesDialog> { { d => d.Listener, updated }, { d => d.InitialSample, """{"id":8,"name":"y"}""" } }));

        // A sample given up front is previewed at once, with the earlier rename: nothing to change.
        cut.WaitForAssertion(() => Assert.Contains("already match", Sql(cut)));
        Assert.Equal("title", cut.FindAll("input[data-testid=column-name-records-name]").Last().GetAttribute("value"));
    }
}
