using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class JobsJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_runs_a_backup_from_the_jobs_page_and_sees_it_succeed(string viewport) => RunAsync(viewport, async () =>
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

        // With a callback (the portal's own health endpoint stands in for the client): its attempt unfolds under the job.
        await Page.GetByTestId("backup-callback").FillAsync(Fixture.Server.BaseUrl.TrimEnd('/') + "/healthz");
        await Page.GetByTestId("run-backup").ClickAsync();
        await Expect(Page.Locator("[data-testid=job-status]")).ToHaveCountAsync(before + 2);
        await Expect(Page.Locator("[data-testid=job-status]").First).ToHaveTextAsync("succeeded", new() { Timeout = 20_000 });
        await Expect(Page.GetByTestId("toggle-attempts").First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Page.GetByTestId("toggle-attempts").First.ClickAsync();
        await Expect(Page.Locator("[data-testid=job-attempts] tbody tr")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Expect(Page.GetByTestId("job-attempts")).ToContainTextAsync("200");
        var tour = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour");
        Directory.CreateDirectory(tour);
        await Page.ScreenshotAsync(new() { Path = Path.Combine(tour, "35-job-callback-attempts.png") });
    });
}
