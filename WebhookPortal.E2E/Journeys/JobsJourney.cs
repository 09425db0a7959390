using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class JobsJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Fact]
    public Task An_admin_runs_a_backup_from_the_jobs_page_and_sees_it_succeed() => RunAsync(async () =>
    {
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync("/jobs");
        await Interactivity.WaitAsync(Page);
        var before = await Page.Locator("[data-testid=job-status]").CountAsync();

        await Page.GetByTestId("run-backup").ClickAsync();

        await Expect(Page.GetByText(new System.Text.RegularExpressions.Regex("Backup .* started\\."))).ToBeVisibleAsync();
        await Expect(Page.Locator("[data-testid=job-status]")).ToHaveCountAsync(before + 1);
        // The page refreshes itself while the job runs.
        await Expect(Page.Locator("[data-testid=job-status]").First).ToHaveTextAsync("succeeded", new() { Timeout = 20_000 });
        await Expect(Page.GetByTestId("download-job").First).ToBeVisibleAsync();
    });
}
