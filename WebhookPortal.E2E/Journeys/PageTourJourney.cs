using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>
/// Visits every page in light and dark mode, checks it rendered without the error bar, and keeps a
/// screenshot of each under TestResults/tour for people to look at.
/// </summary>
public sealed class PageTourJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour");

    private async Task SnapAsync(string name)
    {
        Directory.CreateDirectory(Folder);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png"), FullPage = true });
    }

    [Fact]
    public Task Every_page_renders_in_light_and_dark_mode() => RunAsync(async () =>
    {
        await new LoginPage(Page).GoToAsync();
        await SnapAsync("01-login");

        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Expect(Page.GetByTestId("stat-integrations")).ToBeVisibleAsync();
        await SnapAsync("02-dashboard");

        var integrations = new IntegrationsPage(Page);
        await integrations.GoToAsync();
        await integrations.AddAsync("Tour Salesforce", "Opportunities and accounts");
        await Expect(integrations.Rows.Filter(new() { HasText = "Tour Salesforce" })).ToHaveCountAsync(1);
        await integrations.AddAsync("Tour Zendesk", "Tickets");
        await Expect(integrations.Rows.Filter(new() { HasText = "Tour Zendesk" })).ToHaveCountAsync(1);
        await SnapAsync("03-integrations");

        await Page.GetByTestId("add-integration").ClickAsync();
        await Page.GetByTestId("save-integration").ClickAsync();
        await Expect(Page.GetByText("The name is required.")).ToBeVisibleAsync();
        await SnapAsync("04-integration-dialog-validation");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Page.GetByTestId("dark-mode-toggle").ClickAsync();
        await Expect(Page.Locator(".mud-theme-dark, html[data-mud-theme=dark], body").First).ToBeVisibleAsync();
        var background = await Page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('.mud-main-content') || document.body).backgroundColor");
        Assert.NotEqual("rgb(246, 247, 251)", background);
        await SnapAsync("05-integrations-dark");

        await Page.GotoAsync("/");
        await Interactivity.WaitAsync(Page);
        await SnapAsync("06-dashboard-dark");

        await Page.GotoAsync("/no-such-page");
        await Expect(Page.GetByText("Sorry, the page you are looking for does not exist.")).ToBeVisibleAsync();
        await SnapAsync("07-not-found");

        await Expect(Page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
    });
}
