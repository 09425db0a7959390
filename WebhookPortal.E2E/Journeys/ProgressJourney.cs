using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WebhookPortal.Data;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Jobs;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>
/// Issue 20, long work shows progress: a retention run started on the Jobs page, and a bulk redelivery started on the
/// deliveries page, each with its bar and then its summary, still there after a reload. The bars of work still going on
/// are photographed from rows seeded in that state (real runs against a loopback receiver finish within a second).
/// </summary>
public sealed class ProgressJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private static readonly string Tour = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour");

    private async Task SnapAsync(string name)
    {
        Directory.CreateDirectory(Tour);
        await Page.WaitForTimeoutAsync(600); // MudBlazor's colour transitions, for the screenshot only
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Tour, name + ".png"), FullPage = true });
    }

    private async Task SeedAsync(Func<PortalDbContext, Task> seed)
    {
        using var scope = Fixture.Server.Services.CreateScope();
        await seed(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    [Fact]
    public Task An_admin_runs_retention_from_the_jobs_page_and_its_summary_outlives_a_reload() => RunAsync(async () =>
    {
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync("/jobs");
        await Interactivity.WaitAsync(Page);

        await Page.GetByTestId("run-retention").ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();

        await Expect(Page.GetByText("Retention run started.")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("retention-summary")).ToContainTextAsync("Deleted ", new() { Timeout = 20_000 });
        await Expect(Page.GetByTestId("run-retention")).ToBeEnabledAsync();
        await Expect(Page.Locator("[data-testid=jobs-table] tbody tr").Filter(new() { HasText = "retention" }).GetByTestId("job-summary")).ToContainTextAsync("Deleted ");
        await SnapAsync("70-retention-run-summary");

        await Page.ReloadAsync();
        await Interactivity.WaitAsync(Page);
        await Expect(Page.GetByTestId("retention-summary")).ToContainTextAsync("Deleted ");

        // A run part-way, as another administrator's page (or this one after a reload) finds it.
        var running = new Job
        {
            Id = Guid.NewGuid(), Kind = "retention", RequestedById = "e2e", RequestedByName = "ops@e2e.local", Status = JobStatus.Running, Progress = 40,
            CreatedUtc = DateTime.UtcNow, StartedUtc = DateTime.UtcNow, LeaseUntilUtc = DateTime.UtcNow.AddMinutes(10),
        };
        await SeedAsync(async db => { db.Jobs.Add(running); await db.SaveChangesAsync(); });
        try
        {
            await Page.ReloadAsync();
            await Interactivity.WaitAsync(Page);
            await Expect(Page.GetByTestId("retention-status")).ToContainTextAsync("Running · 40% · started by ops@e2e.local");
            await Expect(Page.GetByTestId("run-retention")).ToBeDisabledAsync();
            await SnapAsync("71-retention-run-progress");
        }
        finally
        {
            await SeedAsync(db => db.Jobs.Where(j => j.Id == running.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Failed).SetProperty(j => j.Error, "stopped by the E2E test")));
        }
    });

    [Fact]
    public Task Failed_deliveries_redelivered_from_the_deliveries_page_show_their_progress_and_summary_after_a_reload() => RunAsync(async () =>
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Status = 400; // fails at once, no retry
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        using var admin = api.AsAdmin();
        var org = "Progress " + Guid.NewGuid().ToString("N")[..6];
        var integrationId = await api.CreateIntegrationAsync(org);
        var created = await admin.PostAsJsonAsync($"v1/mint/organizations/{Uri.EscapeDataString(org)}/webhooks", new { name = "billing-sync", postURL = receiver.Url });
        created.EnsureSuccessStatusCode();
        var webhookId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        for (var i = 1; i <= 2; i++)
        {
            (await admin.PostAsJsonAsync($"api/integrations/{integrationId}/messages", new { eventType = "invoice.paid", payload = new { invoice = i } })).EnsureSuccessStatusCode();
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await admin.GetFromJsonAsync<JsonElement>($"api/deliveries?webhookId={webhookId}&state=failed")).GetArrayLength() < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "two failed deliveries");
            await Task.Delay(250);
        }

        receiver.Status = 200; // the receiver is fixed

        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync($"/deliveries?webhookId={webhookId}&state=failed");
        await Interactivity.WaitAsync(Page);
        var rows = Page.Locator("[data-testid=deliveries-table] tbody tr").Filter(new() { HasText = "invoice.paid" });
        await Expect(rows).ToHaveCountAsync(2);
        for (var i = 0; i < 2; i++)
        {
            await rows.Nth(i).Locator("input[type=checkbox]").CheckAsync();
        }

        await Expect(Page.GetByTestId("redeliver-selected")).ToContainTextAsync("(2)");
        await Page.GetByTestId("redeliver-selected").ClickAsync();

        await Expect(Page.GetByText("2 deliveries queued again.")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("redelivery-summary")).ToContainTextAsync("2 deliveries sent again: 2 delivered, 0 failed.", new() { Timeout = 20_000 });
        Assert.Contains("redelivery=", Page.Url);
        Assert.Equal(2, receiver.Received.Count(r => r.Status == 200));
        await SnapAsync("72-redelivery-summary");

        await Page.ReloadAsync();
        await Interactivity.WaitAsync(Page);
        await Expect(Page.GetByTestId("redelivery-summary")).ToContainTextAsync("2 deliveries sent again: 2 delivered, 0 failed.");

        // A redelivery part-way: one delivered, two waiting (held deliveries count as pending), opened from its link.
        var jobId = Guid.NewGuid();
        await SeedAsync(async db =>
        {
            var message = await db.Deliveries.Where(d => d.TargetId == webhookId).Select(d => d.MessageId).FirstAsync();
            db.Jobs.Add(new Job { Id = jobId, Kind = "redelivery", RequestedById = "e2e", RequestedByName = "support@e2e.local", Status = JobStatus.Running, CreatedUtc = DateTime.UtcNow, StartedUtc = DateTime.UtcNow });
            foreach (var state in new[] { DeliveryState.Delivered, DeliveryState.Held, DeliveryState.Held })
            {
                // Another target than the webhook: nothing releases or sends these.
                db.Deliveries.Add(new Delivery
                {
                    Id = Guid.NewGuid(), MessageId = message, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "archive", Url = "https://example.invalid/archive",
                    State = state, NextAttemptUtc = DateTime.UtcNow.AddYears(1), CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow, JobId = jobId,
                });
            }

            await db.SaveChangesAsync();
        });

        await Page.GotoAsync($"/deliveries?redelivery={jobId}");
        await Interactivity.WaitAsync(Page);
        await Expect(Page.GetByTestId("redelivery-status")).ToHaveTextAsync("1 of 3 delivered · 0 failed · 2 pending");
        await SnapAsync("73-redelivery-progress");

        // The last two end (one failed, one cancelled): the bar gives way to the summary without a reload.
        await SeedAsync(async db =>
        {
            var held = await db.Deliveries.Where(d => d.JobId == jobId && d.State == DeliveryState.Held).Select(d => d.Id).ToListAsync();
            await db.Deliveries.Where(d => d.Id == held[0]).ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Failed));
            await db.Deliveries.Where(d => d.Id == held[1]).ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Cancelled));
        });
        await Expect(Page.GetByTestId("redelivery-summary")).ToContainTextAsync("3 deliveries sent again: 1 delivered, 1 failed, 1 cancelled.", new() { Timeout = 10_000 });
        await SnapAsync("74-redelivery-summary-with-failures");
    });
}
