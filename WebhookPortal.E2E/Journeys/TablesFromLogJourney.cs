using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>Issue 18: from a request refused for want of tables, through the log, to tables that accept it.</summary>
public sealed class TablesFromLogJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "tables-from-log");

    private const string Body = """{"id":42,"title":"Printer on fire","customer":{"city":"Paris"},"tags":["urgent"]}""";

    private async Task SnapDialogAsync(string name)
    {
        Directory.CreateDirectory(Folder);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png") });
    }

    private async Task OpenOnlyEntryAsync(string listenerName)
    {
        await Page.GotoAsync($"/logs?name={Uri.EscapeDataString(listenerName)}&state=error");
        await Interactivity.WaitAsync(Page);
        var rows = Page.Locator("[data-testid=logs-table] tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("409");
        await rows.First.ClickAsync();
        await Expect(Page.GetByTestId("log-detail")).ToBeVisibleAsync();
    }

    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_generates_tables_from_a_refused_request_and_the_request_is_then_accepted(string viewport) => RunAsync(viewport, async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        using var admin = api.AsAdmin();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var integrationId = await api.CreateIntegrationAsync("Log CRM " + suffix);
        var listenerName = "Tickets " + suffix;
        var created = await admin.PostAsJsonAsync($"api/integrations/{integrationId}/listeners", new { name = listenerName, auth = new { method = "Token", readFrom = "Header", name = "X-Token" } });
        created.EnsureSuccessStatusCode();
        var listenerId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var token = (await (await admin.PostAsync($"api/listeners/{listenerId}/token", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        var hookPath = $"hooks/{integrationId}/{listenerId}";

        // No tables yet: the request is refused, and logged with its body.
        Assert.Equal(409, await api.PushAsync(hookPath, token, Body));

        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await OpenOnlyEntryAsync(listenerName);
        await Page.GetByTestId("tables-from-body").ClickAsync();

        // The logged body is the sample, previewed at once.
        var dialog = Page.Locator(".mud-dialog");
        var sql = dialog.GetByTestId("sql-preview");
        await Expect(sql).ToContainTextAsync("CREATE TABLE");
        await Expect(sql).ToContainTextAsync("\"customer_city\" TEXT");
        await Expect(dialog.GetByTestId("sample-from-log")).ToBeVisibleAsync();

        await dialog.GetByTestId("column-name-records-customer_city").FillAsync("city");
        await Expect(sql).ToContainTextAsync("\"city\" TEXT");
        await Expect(sql).Not.ToContainTextAsync("customer_city");
        await Expect(dialog.GetByTestId("column-name-records-customer_city")).ToHaveValueAsync("city");
        await dialog.GetByTestId("column-name-records-customer_city").ScrollIntoViewIfNeededAsync();
        await SnapDialogAsync($"{viewport}-light");
        await sql.ScrollIntoViewIfNeededAsync();
        await SnapDialogAsync($"{viewport}-light-sql");

        await dialog.GetByTestId("generate").ClickAsync();
        await Expect(Page.GetByText($"Tables generated for {listenerName}.", new() { Exact = false })).ToBeVisibleAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        // The same request again: accepted, and the value lands in the renamed column.
        Assert.Equal(200, await api.PushAsync(hookPath, token, Body));
        var record = (await admin.GetFromJsonAsync<JsonElement>($"api/listeners/{listenerId}/records")).GetProperty("items")[0];
        Assert.Equal("Paris", record.GetProperty("city").GetString());
        Assert.Equal(42, record.GetProperty("id").GetInt64());

        // Dark mode: the dialog opened again starts from the tables as generated (the rename kept).
        await Page.Keyboard.PressAsync("Escape");
        await Expect(Page.GetByTestId("log-drawer")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--closed"));
        await Page.GetByTestId("dark-mode-toggle").ClickAsync();
        await OpenOnlyEntryAsync(listenerName);
        await Page.GetByTestId("tables-from-body").ClickAsync();
        await Expect(sql).ToContainTextAsync("already match");
        await Expect(dialog.GetByTestId("column-name-records-customer_city")).ToHaveValueAsync("city");
        await SnapDialogAsync($"{viewport}-dark");
        await sql.ScrollIntoViewIfNeededAsync();
        await SnapDialogAsync($"{viewport}-dark-sql");
        await dialog.GetByTestId("cancel-tables").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
    });
}
