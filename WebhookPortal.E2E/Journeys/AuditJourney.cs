using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>A change made in the browser shows up on the Audit page with who made it, and its diff, in light and dark mode.</summary>
public sealed class AuditJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Fact]
    public Task An_admin_changes_an_integration_and_finds_the_change_on_the_audit_page() => RunAsync(async () =>
    {
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        var integrations = new IntegrationsPage(Page);
        await integrations.GoToAsync();
        var name = "Audited CRM " + Guid.NewGuid().ToString("N")[..6];
        await integrations.AddAsync(name, "Created for the audit journey");
        await Expect(Page.GetByText($"Integration '{name}' created.")).ToBeVisibleAsync();

        // The change was made in the interactive circuit: the trail names the signed-in admin, not the system.
        await Page.GotoAsync("/audit");
        await Interactivity.WaitAsync(Page);
        await Page.Locator("input[data-testid=filter-q], [data-testid=filter-q] input").First.FillAsync(name);
        var row = Page.GetByTestId("audit-table").Locator("tbody tr").Filter(new() { HasText = name });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(row).ToContainTextAsync("integration.created");
        await Expect(row).ToContainTextAsync(PortalServer.AdminEmail);
        // The search is in the URL (shareable) and leaves only this change.
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"[?&]q="));
        await Expect(Page.GetByTestId("audit-table").Locator("tbody tr")).ToHaveCountAsync(1);

        await row.ClickAsync();
        var diff = Page.GetByTestId("audit-diff");
        await Expect(diff).ToContainTextAsync("description");
        await Expect(diff).ToContainTextAsync("Created for the audit journey");
        await Page.WaitForTimeoutAsync(600); // the drawer's slide and MudBlazor's colour transitions, for the screenshot only
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour", "40-audit-light.png"), FullPage = true });

        await Page.Keyboard.PressAsync("Escape");
        await Page.GotoAsync("/audit?q=" + Uri.EscapeDataString(name));
        await Interactivity.WaitAsync(Page);
        await Page.GetByTestId("dark-mode-toggle").ClickAsync();
        await Expect(row).ToHaveCountAsync(1);
        await row.ClickAsync();
        await Expect(diff).ToContainTextAsync("description");
        await Page.WaitForTimeoutAsync(600);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour", "41-audit-dark.png"), FullPage = true });
    });
}
