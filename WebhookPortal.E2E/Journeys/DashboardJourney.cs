using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>
/// Issue 20: the home page answers "is it healthy?". A System of Record pushes requests (some refused for a wrong
/// token), a webhook points at a closed port so its deliveries fail after their retry; the dashboard charts both, its
/// numbers open the filtered log, and it reads well in light and dark mode. A portal of its own, so the figures are
/// exactly this journey's.
/// </summary>
public sealed class DashboardJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour");

    [Theory]
    [MemberData(nameof(Viewports))]
    public async Task The_dashboard_charts_requests_and_deliveries_and_its_numbers_open_the_filtered_log(string viewport)
    {
        using var server = new PortalServer();
        var context = await Fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        try
        {
            await page.SetViewportSizeAsync(viewport == "phone" ? 390 : 1366, viewport == "phone" ? 844 : 900);
            await JourneyAsync(server, page, viewport);
        }
        catch
        {
            Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots", $"{nameof(DashboardJourney)}.{viewport}.png"), FullPage = true });
            throw;
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private static async Task JourneyAsync(PortalServer server, IPage page, string viewport)
    {
        using var api = new PortalApi(server.BaseUrl);
        using var admin = api.AsAdmin();
        const string org = "Shop";
        var integrationId = await api.CreateIntegrationAsync(org);
        var (_, hookPath, token) = await api.CreateListenerAsync(integrationId, "orders", """{"items":[{"id":1,"title":"x"}]}""", "items");
        for (var i = 1; i <= 4; i++)
        {
            Assert.Equal(200, await api.PushAsync(hookPath, token, $$"""{"items":[{"id":{{i}},"title":"Order {{i}}"}]}"""));
        }

        Assert.Equal(401, await api.PushAsync(hookPath, "wrong-token", """{"items":[{"id":9,"title":"Refused"}]}"""));
        Assert.Equal(401, await api.PushAsync(hookPath, "wrong-token", """{"items":[{"id":10,"title":"Refused"}]}"""));

        // Port 9 refuses connections: each delivery is retried once (2 s later, the E2E portal's policy), then fails.
        var created = await admin.PostAsJsonAsync($"v1/mint/organizations/{org}/webhooks", new { name = "erp-sync", postURL = "http://127.0.0.1:9/closed" });
        created.EnsureSuccessStatusCode();
        var webhookId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        for (var i = 1; i <= 2; i++)
        {
            (await admin.PostAsJsonAsync($"api/integrations/{integrationId}/messages", new { eventType = "order.created", payload = new { order = i } })).EnsureSuccessStatusCode();
        }

        await new LoginPage(page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Expect(page.GetByTestId("kpi-requests-total")).ToHaveTextAsync("6");

        // The deliveries fail within seconds; the page refreshes every 30 s, a reload is quicker.
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while ((await page.GetByTestId("kpi-deliveries-failed").TextContentAsync())?.Trim() != "2 failed")
        {
            Assert.True(DateTime.UtcNow < deadline, "The two deliveries did not fail in time: " + await page.GetByTestId("kpi-deliveries").TextContentAsync());
            await Task.Delay(1000);
            await page.ReloadAsync();
            await Interactivity.WaitAsync(page);
        }

        // Both charts are drawn, the listener's row splits its requests, the failing webhook is listed with its health.
        await Expect(page.Locator("[data-testid=chart-requests] .mud-chart svg").First).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=chart-deliveries] .mud-chart svg").First).ToBeVisibleAsync();
        var orders = page.Locator("[data-testid=listener-row][data-name=orders]");
        await Expect(orders.GetByTestId("listener-total")).ToHaveTextAsync("6");
        await Expect(orders.GetByTestId("listener-errors")).ToHaveTextAsync("2");
        var hook = page.Locator($"[data-testid=failing-webhook][data-id='{webhookId}']");
        await Expect(hook.GetByTestId("failing-webhook-failed")).ToHaveTextAsync("2");
        await Expect(hook.GetByTestId("failing-webhook-health")).ToHaveAttributeAsync("data-state", new Regex("failing|disabled"));
        await Expect(page.GetByTestId("recent-error").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("updated-at")).ToContainTextAsync("Updated");

        await page.WaitForTimeoutAsync(600); // MudBlazor's colour transitions and the charts' first layout, for the screenshots only
        await SnapAsync(page, $"70-dashboard.{viewport}-light");

        await page.GetByTestId("dark-mode-toggle").ClickAsync();
        await Expect(page.Locator("body")).ToHaveCSSAsync("background-color", "rgb(18, 18, 26)");
        await Expect(page.Locator("[data-testid=chart-requests] .mud-chart svg").First).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(600);
        await SnapAsync(page, $"71-dashboard.{viewport}-dark");

        // The last hour, chosen on the page, is kept in the URL.
        await page.GetByTestId("range-1h").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"\?range=1h$"));
        await Expect(page.GetByTestId("chart-requests")).ToContainTextAsync("Requests per 5 minutes");
        await Expect(orders.GetByTestId("listener-errors")).ToHaveTextAsync("2");

        // A number opens the filtered log: this listener's refused requests of the window, and nothing else.
        await orders.GetByTestId("listener-errors").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/logs\?direction=inbound&name=orders&state=error&from=[^&]+&to=[^&]+$"));
        await Interactivity.WaitAsync(page);
        var rows = page.Locator("[data-testid=logs-table] tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.GetByTestId("state-chip")).ToHaveTextAsync(["error", "error"]);
        await Expect(rows.First).ToContainTextAsync("401");
        await Expect(page.GetByTestId("active-filters")).ToContainTextAsync("active");
    }

    private static async Task SnapAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png"), FullPage = true });
    }
}
