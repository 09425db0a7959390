using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>
/// Issue 16: a webhook whose receiver keeps failing goes failing → disabled (the failure rule, here after 6 s), its
/// deliveries are held, the portal says so on the dashboard and the webhook's page, and enabling it again after the
/// receiver is fixed delivers the whole backlog, each message once. A portal of its own, for its short health periods.
/// </summary>
public sealed class WebhookHealthJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour");

    [Theory]
    [MemberData(nameof(Viewports))]
    public async Task A_failing_webhook_is_disabled_and_enabling_it_delivers_the_backlog(string viewport)
    {
        using var server = new PortalServer(new Dictionary<string, string> { ["Delivery:DisableAfter"] = "00:00:06" });
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Status = 503;
        var context = await Fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        try
        {
            await page.SetViewportSizeAsync(viewport == "phone" ? 390 : 1366, viewport == "phone" ? 844 : 900);
            await JourneyAsync(server, receiver, page, viewport);
        }
        catch
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{nameof(WebhookHealthJourney)}.{viewport}.png"), FullPage = true });
            throw;
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private static async Task JourneyAsync(PortalServer server, TestReceiver receiver, IPage page, string viewport)
    {
        using var api = new PortalApi(server.BaseUrl);
        using var admin = api.AsAdmin();
        var org = "Health " + Guid.NewGuid().ToString("N")[..6];
        var integrationId = await api.CreateIntegrationAsync(org);
        // A retry every second, far more retries than the 6 s the failure rule allows.
        var schedule = string.Join(",", Enumerable.Repeat("00:00:01", 30));
        var created = await admin.PostAsJsonAsync($"v1/mint/organizations/{Uri.EscapeDataString(org)}/webhooks", new { name = "erp-sync", postURL = receiver.Url, retrySchedule = schedule });
        created.EnsureSuccessStatusCode();
        var webhookId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        for (var i = 1; i <= 3; i++)
        {
            (await admin.PostAsJsonAsync($"api/integrations/{integrationId}/messages", new { eventType = "order.created", payload = new { order = i } })).EnsureSuccessStatusCode();
        }

        await new LoginPage(page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);

        // Failing: the chip says since when, the page lists the portal event, and new deliveries wait behind one probe.
        await page.GotoAsync($"/webhooks/{webhookId}");
        await Interactivity.WaitAsync(page);
        await ReloadUntilAsync(page, page.GetByTestId("webhook-health"), "data-state", "failing", "disabled");
        await Expect(page.Locator("[data-testid=portal-event][data-type='portal.webhook.failing']")).ToHaveCountAsync(1);
        await SnapAsync(page, $"60-webhook-failing.{viewport}");

        // Disabled by the failure rule: the reason, the event, and every delivery held (none lost, none failed).
        await ReloadUntilAsync(page, page.GetByTestId("webhook-health"), "data-state", "disabled");
        await Expect(page.GetByTestId("webhook-health-reason")).ToContainTextAsync("Delivery:DisableAfter");
        await Expect(page.Locator("[data-testid=portal-event][data-type='portal.webhook.disabled']")).ToHaveCountAsync(1);
        await ReloadUntilTextAsync(page, page.GetByTestId("deliveries-table"), "held", count: 3, rows: "[data-testid=deliveries-table] tbody tr:has-text('held')");
        await SnapAsync(page, $"61-webhook-disabled.{viewport}");
        var failedAttempts = receiver.Received.Count;
        Assert.All(receiver.Received, r => Assert.Equal(503, r.Status));

        // The dashboard tells everyone.
        await page.GotoAsync("/");
        await Interactivity.WaitAsync(page);
        await Expect(page.GetByTestId("portal-events")).ToContainTextAsync("portal.webhook.disabled");
        await Expect(page.GetByTestId("portal-events")).ToContainTextAsync("erp-sync");
        await SnapAsync(page, $"62-dashboard-portal-events.{viewport}");

        // The receiver is fixed; an admin enables the webhook again on the webhooks page.
        receiver.Status = 200;
        await page.GotoAsync("/webhooks");
        await Interactivity.WaitAsync(page);
        var row = page.Locator("[data-testid=webhooks-table] tbody tr").Filter(new() { HasText = "erp-sync" });
        await row.Locator("input[data-testid=webhook-enabled]").ClickAsync();
        await Expect(page.GetByText("Webhook 'erp-sync' enabled.")).ToBeVisibleAsync();

        // The backlog goes at once: all three delivered, each message once, on the deliveries page with its timeline.
        await page.GotoAsync($"/deliveries?webhookId={webhookId}");
        await Interactivity.WaitAsync(page);
        await ReloadUntilTextAsync(page, page.GetByTestId("deliveries-table"), "delivered", count: 3, rows: "[data-testid=deliveries-table] tbody tr:has-text('delivered')");
        // Every timeline ends with the 200; the receiver's 503 answer shows on the attempts that failed (a delivery that
        // waited behind the probe the whole time has only its 200).
        // One row at a time, each open before the next click: three quick clicks once left the middle row closed in CI
        // (phone viewport), with the sticky app bar over its button.
        for (var i = 0; i < 3; i++)
        {
            await page.GetByTestId("expand-delivery").Nth(i).ClickAsync();
            await Expect(page.GetByTestId("delivery-timeline")).ToHaveCountAsync(i + 1);
        }

        for (var i = 0; i < 3; i++)
        {
            await Expect(page.GetByTestId("delivery-timeline").Nth(i).GetByTestId("attempt-status").Last).ToHaveTextAsync("200");
        }

        await Expect(page.GetByTestId("attempt-response").Filter(new() { HasText = "maintenance" }).First).ToBeVisibleAsync();
        await SnapAsync(page, $"63-deliveries-timeline.{viewport}");

        var delivered = receiver.Received.Where(r => r.Status == 200).Select(r => r.WebhookId).ToList();
        Assert.Equal(3, delivered.Count);
        Assert.Equal(3, delivered.Distinct().Count());
        Assert.True(failedAttempts >= 3, $"{failedAttempts} failed attempts before the webhook was disabled");
    }

    /// <summary>Reloads the page (it does not poll on its own) until the attribute has one of the values.</summary>
    private static async Task ReloadUntilAsync(IPage page, ILocator locator, string attribute, params string[] values)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (true)
        {
            var value = await locator.First.GetAttributeAsync(attribute);
            if (values.Contains(value))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{attribute} is '{value}', expected {string.Join(" or ", values)}.");
            await Task.Delay(1000);
            await page.ReloadAsync();
            await Interactivity.WaitAsync(page);
        }
    }

    /// <summary>Reloads until <paramref name="count"/> rows match <paramref name="rows"/>.</summary>
    private static async Task ReloadUntilTextAsync(IPage page, ILocator table, string text, int count, string rows)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (true)
        {
            await table.WaitForAsync();
            var found = await page.Locator(rows).CountAsync();
            if (found == count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{found} rows '{text}', expected {count}.");
            await Task.Delay(1000);
            await page.ReloadAsync();
            await Interactivity.WaitAsync(page);
        }
    }

    private static async Task SnapAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png"), FullPage = true });
    }
}
