using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.ClusterTests;

/// <summary>
/// The pages through the balancer: the sign-in form and its antiforgery token may be served by different portals
/// (keys in the database), and the interactive circuit must stay on one portal (sticky /_blazor).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterPagesTests(Cluster cluster)
{
    [Fact]
    public async Task An_admin_signs_in_through_the_balancer_and_the_pages_become_interactive()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = cluster.BaseUrl, ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Email").FillAsync(Cluster.AdminEmail);
        await page.GetByLabel("Password").FillAsync(Cluster.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        // The layout renders this marker only once the circuit (negotiate + WebSocket through nginx) is up.
        await page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        // Full page loads go round robin; each one is prerendered by either portal and then connects its own circuit.
        foreach (var (path, heading) in new[] { ("/integrations", "Integrations"), ("/deliveries", "Deliveries"), ("/", "Dashboard") })
        {
            await page.GotoAsync(path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true })).ToBeVisibleAsync();
            await page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Cluster.FiguresPath)!);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetDirectoryName(Cluster.FiguresPath)!, "cluster-dashboard.png"), FullPage = true });
    }
}
