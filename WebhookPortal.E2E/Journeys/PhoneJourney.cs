using System.Net.Http.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>
/// At 390×844 (a phone): the header actions of a detail page and the account menu stay on the screen, and the log
/// viewer shows its first row before its filters (they fold into a "Filters" panel that opens on a tap).
/// </summary>
public sealed class PhoneJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private const int Width = 390;

    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour");

    private async Task AssertOnScreenAsync(ILocator element)
    {
        await Expect(element).ToBeVisibleAsync();
        var box = await element.BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.X >= 0 && box.X + box.Width <= Width, $"{element} spans {box.X}–{box.X + box.Width} px of a {Width} px screen");
    }

    [Fact]
    public Task Detail_page_actions_and_the_log_viewer_fit_a_phone() => RunAsync(async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var integrationId = await api.CreateIntegrationAsync("Phone CRM " + suffix);
        var (listenerId, hookPath, token) = await api.CreateListenerAsync(integrationId, "A listener with a rather long name " + suffix, """{"items":[{"id":1}]}""", "items");
        Assert.Equal(200, await api.PushAsync(hookPath, token, """{"items":[{"id":1}]}"""));

        await Page.SetViewportSizeAsync(Width, 844);
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);

        await Page.GotoAsync($"/listeners/{listenerId}");
        await Interactivity.WaitAsync(Page);
        await AssertOnScreenAsync(Page.GetByTestId("delete-listener"));
        await AssertOnScreenAsync(Page.GetByTestId("generate-tables"));
        await AssertOnScreenAsync(Page.GetByTestId("user-menu").GetByRole(AriaRole.Button).First);
        Directory.CreateDirectory(Folder);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, "90-phone-listener.png") });

        await Page.GotoAsync($"/integrations/{integrationId}");
        await Interactivity.WaitAsync(Page);
        await Expect(Page.GetByTestId("integration-listeners")).ToContainTextAsync("A listener with a rather long name");
        await AssertOnScreenAsync(Page.GetByTestId("integration-logs"));
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, "93-phone-integration.png"), FullPage = true });

        using (var admin = api.AsAdmin())
        {
            var webhook = await (await admin.PostAsJsonAsync($"v1/mint/organizations/{Uri.EscapeDataString("Phone CRM " + suffix)}/webhooks", new { name = "phone-hook", postURL = "http://127.0.0.1:9/closed" }))
                .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            for (var i = 0; i < 30; i++)
            {
                await admin.PostAsJsonAsync($"api/integrations/{integrationId}/messages", new { eventType = "order.created", payload = new { n = i } });
            }

            await Page.GotoAsync($"/webhooks/{webhook.GetProperty("id").GetGuid()}");
            await Interactivity.WaitAsync(Page);
            await Expect(Page.Locator("[data-testid=deliveries-table] .mud-table-pagination")).ToContainTextAsync("of 30");
            await AssertOnScreenAsync(Page.GetByTestId("refresh-deliveries"));
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, "94-phone-webhook-paging.png"), FullPage = false });
        }

        await Page.GotoAsync($"/listeners/{listenerId}");
        await Interactivity.WaitAsync(Page);
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Data" }).ClickAsync();
        await Expect(Page.GetByTestId("records-table")).ToBeVisibleAsync();
        await AssertOnScreenAsync(Page.GetByTestId("records-search"));
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, "95-phone-listener-data.png"), FullPage = true });

        await Page.GotoAsync("/logs");
        await Interactivity.WaitAsync(Page);
        var firstRow = Page.Locator("[data-testid=logs-table] tbody tr").First;
        await Expect(firstRow).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("filter-direction")).ToBeHiddenAsync();
        var rowBox = await firstRow.BoundingBoxAsync();
        Assert.True(rowBox!.Y < 844, $"the first row starts at {rowBox.Y} px, below the screen");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, "91-phone-logs.png") });

        await Page.GetByTestId("filters-panel").GetByText("Filters").ClickAsync();
        await Expect(Page.GetByTestId("filter-direction")).ToBeVisibleAsync();
        // The screenshot waits for the panel to finish opening.
        await Expect(Page.Locator("[data-testid=filters-panel] .mud-collapse-container")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-collapse-entered"));
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, "92-phone-logs-filters.png"), FullPage = true });
    });
}
