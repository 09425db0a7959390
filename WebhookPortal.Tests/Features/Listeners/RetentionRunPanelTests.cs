using Bunit;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>"Run retention now": asks first, queues the job, shows its progress from the job's row, then its summary; after a reload too; administrators only.</summary>
public sealed class RetentionRunPanelTests : PortalComponentTest
{
    private async Task SetAsync(Guid id, JobStatus status, int progress, string? summary = null, string? error = null)
    {
        await using var db = Database.CreateContext();
        var now = Clock.GetUtcNow().UtcDateTime;
        await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, status).SetProperty(j => j.Progress, progress).SetProperty(j => j.Summary, summary)
            .SetProperty(j => j.Error, error).SetProperty(j => j.FinishedUtc, status is JobStatus.Succeeded or JobStatus.Failed ? now : null));
    }

    private async Task<Guid> SeedRunAsync(JobStatus status, int progress, string? summary = null)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var job = new Job { Id = Guid.NewGuid(), Kind = RetentionRuns.Kind, RequestedById = "u1", RequestedByName = "ann@test.local", Status = status, Progress = progress, Summary = summary, CreatedUtc = now, StartedUtc = now };
        await using var db = Database.CreateContext();
        db.Jobs.Add(job);
        await db.SaveChangesAsync();
        return job.Id;
    }

    private static void Confirm(IRenderedComponent<ContainerFragment> cut, string button)
    {
        cut.WaitForAssertion(() => Assert.Contains("What is deleted cannot be brought back.", cut.Markup));
        cut.FindAll("button").Single(b => b.TextContent.Trim() == button && b.GetAttribute("data-testid") is null).Click();
    }

    [Fact]
    public async Task Running_it_asks_first_queues_the_job_and_follows_it_to_its_summary()
    {
        SignInAsAdmin();
        var changed = 0;
        var cut = RenderWithProviders<RetentionRunPanel>((nameof(RetentionRunPanel.Changed), Microsoft.AspNetCore.Components.EventCallback.Factory.Create(this, () => changed++)));
        cut.WaitForAssertion(() => cut.Find("[data-testid=run-retention]"));
        Assert.Empty(cut.FindAll("[data-testid=retention-progress]"));

        cut.Find("[data-testid=run-retention]").Click();
        Confirm(cut, "Run");

        cut.WaitForAssertion(() => Assert.StartsWith("Queued · started by admin@test.local", cut.Find("[data-testid=retention-status]").TextContent.Trim()));
        Assert.Contains("Retention run started.", cut.Markup);
        Assert.True(cut.Find("[data-testid=run-retention]").HasAttribute("disabled"));
        Guid id;
        await using (var db = Database.CreateContext())
        {
            var job = await db.Jobs.SingleAsync();
            (id, var kind, var status) = (job.Id, job.Kind, job.Status);
            Assert.Equal((RetentionRuns.Kind, JobStatus.Queued), (kind, status));
        }

        var (recorded, _) = Assert.Single(JobClient.Created);
        Assert.Equal((typeof(RetentionRunJob), nameof(RetentionRunJob.RunAsync), (object)id), (recorded.Type, recorded.Method.Name, recorded.Args[0]));
        cut.WaitForAssertion(() => Assert.Equal(1, changed));

        // The job's progress, as the panel reads it from the row.
        await SetAsync(id, JobStatus.Running, 40);
        cut.WaitForAssertion(() => Assert.StartsWith("Running · 40%", cut.Find("[data-testid=retention-status]").TextContent.Trim()), TimeSpan.FromSeconds(5));

        await SetAsync(id, JobStatus.Succeeded, 100, "Deleted 3 records (Orders: 3), 2 log entries, 0 deliveries, 0 messages, 0 portal events, 0 idempotency keys and 0 audit entries.");
        cut.WaitForAssertion(() => Assert.StartsWith("Deleted 3 records (Orders: 3), 2 log entries", cut.Find("[data-testid=retention-summary]").TextContent.Trim()), TimeSpan.FromSeconds(5));
        Assert.Empty(cut.FindAll("[data-testid=retention-progress]"));
        Assert.False(cut.Find("[data-testid=run-retention]").HasAttribute("disabled"));
        cut.WaitForAssertion(() => Assert.Contains("The retention run finished.", cut.Markup));
        cut.WaitForAssertion(() => Assert.Equal(2, changed));
    }

    [Fact]
    public async Task Cancelling_the_question_starts_nothing()
    {
        SignInAsAdmin();
        var cut = RenderWithProviders<RetentionRunPanel>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=run-retention]"));

        cut.Find("[data-testid=run-retention]").Click();
        Confirm(cut, "Cancel");

        cut.WaitForAssertion(() => Assert.DoesNotContain("What is deleted cannot be brought back.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.Equal(0, await db.Jobs.CountAsync());
        Assert.Empty(JobClient.Created);
    }

    [Fact]
    public async Task After_a_reload_a_running_run_shows_its_progress_and_goes_on_being_followed()
    {
        var id = await SeedRunAsync(JobStatus.Running, 70);
        SignInAsAdmin();

        var cut = RenderWithProviders<RetentionRunPanel>();

        cut.WaitForAssertion(() => Assert.StartsWith("Running · 70% · started by ann@test.local", cut.Find("[data-testid=retention-status]").TextContent.Trim()));
        Assert.True(cut.Find("[data-testid=run-retention]").HasAttribute("disabled"));
        await SetAsync(id, JobStatus.Failed, 70, error: "no such table: t_orders");
        cut.WaitForAssertion(() => Assert.Equal("The retention run failed: no such table: t_orders", cut.Find("[data-testid=retention-summary]").TextContent.Trim()), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task After_a_reload_the_latest_finished_run_shows_its_summary()
    {
        await SeedRunAsync(JobStatus.Succeeded, 100, "Deleted 0 records, 0 log entries, 0 deliveries, 0 messages, 0 portal events, 0 idempotency keys and 0 audit entries.");
        SignInAsAdmin();

        var cut = RenderWithProviders<RetentionRunPanel>();

        cut.WaitForAssertion(() => Assert.StartsWith("Deleted 0 records", cut.Find("[data-testid=retention-summary]").TextContent.Trim()));
        Assert.False(cut.Find("[data-testid=run-retention]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Support_sees_no_panel_and_the_service_refuses_them()
    {
        await SeedRunAsync(JobStatus.Running, 10);
        SignInAsSupport();

        var cut = RenderWithProviders<RetentionRunPanel>();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=retention-run]")));
        using var scope = SupportScope();
        var runs = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<RetentionRuns>(scope.ServiceProvider);
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() => runs.StartAsync());
        await using var db = Database.CreateContext();
        Assert.Equal(1, await db.Jobs.CountAsync());
    }
}
