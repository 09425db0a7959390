using Bunit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Features.Jobs.Pages;
using WebhookPortal.Infrastructure.Configuration;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Jobs;

public sealed class JobsPageTests : PortalComponentTest
{
    public JobsPageTests()
    {
        Services.AddLogging();
        Services.AddDataProtection();
        Services.AddHttpContextAccessor();
        Services.AddAuthentication();
        Services.AddIdentityCore<ApplicationUser>().AddRoles<IdentityRole>().AddEntityFrameworkStores<PortalDbContext>().AddSignInManager().AddDefaultTokenProviders();
        Services.AddScoped<ApiKeyService>();
        Services.AddOptions<JobOptions>();
        Services.AddScoped<JobService>();
    }

    private async Task SeedAsync()
    {
        await using var db = Database.CreateContext();
        db.Jobs.AddRange(
            new Job { Id = Guid.NewGuid(), Kind = "backup", RequestedById = "u1", RequestedByName = "ann@test.local", Status = JobStatus.Succeeded, Progress = 100, CreatedUtc = DateTime.UtcNow.AddMinutes(-5), FinishedUtc = DateTime.UtcNow, DownloadKeyProtected = "x", DownloadExpiresUtc = Clock.GetUtcNow().UtcDateTime.AddHours(1) },
            new Job { Id = Guid.NewGuid(), Kind = "backup", RequestedById = "u1", RequestedByName = "ann@test.local", Status = JobStatus.Failed, Error = "disk full", CreatedUtc = DateTime.UtcNow.AddMinutes(-3) });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Lists_jobs_with_status_progress_errors_and_downloads_for_admins()
    {
        await SeedAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<JobsPage>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=jobs-table] tbody tr").Count));
        Assert.Equal(["failed", "succeeded"], cut.FindAll("[data-testid=job-status]").Select(s => s.TextContent.Trim()).ToArray());
        Assert.Contains("disk full", cut.Markup);
        Assert.Single(cut.FindAll("[data-testid=download-job]"));
    }

    [Fact]
    public async Task A_jobs_callback_attempts_unfold_under_it_with_links_into_the_log_viewer()
    {
        var jobId = Guid.NewGuid();
        var deliveryId = Guid.NewGuid();
        var messageId = Guid.NewGuid();
        var now = Clock.GetUtcNow().UtcDateTime;
        long firstAttempt;
        await using (var db = Database.CreateContext())
        {
            db.Messages.Add(new WebhookPortal.Features.Deliveries.Message { Id = messageId, EventType = "job.completed", Payload = "", CreatedUtc = now });
            db.Deliveries.Add(new WebhookPortal.Features.Deliveries.Delivery
            {
                Id = deliveryId, MessageId = messageId, TargetKind = WebhookPortal.Features.Deliveries.DeliveryTargetKind.Job, TargetId = jobId, TargetName = $"job:{jobId}", Url = "https://client.example.com/cb?id=x",
                Method = "GET", State = WebhookPortal.Features.Deliveries.DeliveryState.Delivered, AttemptCount = 2, CreatedUtc = now, UpdatedUtc = now, NextAttemptUtc = now,
            });
            db.Jobs.Add(new Job { Id = jobId, Kind = "backup", RequestedById = "u1", RequestedByName = "ann@test.local", Status = JobStatus.Succeeded, Progress = 100, CreatedUtc = now, FinishedUtc = now, CallbackUrl = "https://client.example.com/cb", CallbackDeliveryId = deliveryId });
            var failed = new WebhookPortal.Features.Logs.LogEntry { TimeUtc = now, Direction = WebhookPortal.Features.Logs.LogDirection.Outbound, Name = $"job:{jobId}", Method = "GET", Path = "https://client.example.com/cb?id=[redacted]", Status = 500, State = WebhookPortal.Features.Logs.LogState.Error, Error = "The receiver answered 500 Internal Server Error.", DeliveryId = deliveryId, Attempt = 1 };
            db.LogEntries.Add(failed);
            db.LogEntries.Add(new WebhookPortal.Features.Logs.LogEntry { TimeUtc = now.AddSeconds(5), Direction = WebhookPortal.Features.Logs.LogDirection.Outbound, Name = $"job:{jobId}", Method = "GET", Path = "https://client.example.com/cb?id=[redacted]", Status = 200, State = WebhookPortal.Features.Logs.LogState.Success, DeliveryId = deliveryId, Attempt = 2 });
            await db.SaveChangesAsync();
            firstAttempt = failed.Id;
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<JobsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=toggle-attempts]"));
        Assert.Empty(cut.FindAll("[data-testid=job-attempts]"));

        cut.Find("[data-testid=toggle-attempts]").Click();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=job-attempts] tbody tr").Count));
        Assert.Contains("500 Internal Server Error", cut.Find("[data-testid=job-attempts]").TextContent);
        Assert.Equal($"logs?entry={firstAttempt}", cut.FindAll("[data-testid=attempt-link]")[0].GetAttribute("href"));

        cut.Find("[data-testid=toggle-attempts]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=job-attempts]")));
    }

    [Fact]
    public async Task Run_backup_records_a_queued_job_and_hands_it_to_hangfire()
    {
        SignInAsAdmin();
        var cut = RenderWithProviders<JobsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=run-backup]"));

        cut.Find("[data-testid=run-backup]").Click();

        cut.WaitForAssertion(() => Assert.Contains("started.", cut.Markup));
        await using var db = Database.CreateContext();
        var job = await db.Jobs.SingleAsync();
        Assert.Equal(JobStatus.Queued, job.Status);
        var (recorded, _) = Assert.Single(JobClient.Created);
        Assert.Equal(nameof(BackupJob.RunAsync), recorded.Method.Name);
        Assert.Equal(job.Id, recorded.Args[0]);
        Assert.Equal("queued", cut.Find("[data-testid=job-status]").TextContent.Trim());
    }

    [Fact]
    public async Task Admins_get_the_retention_panel_and_the_summaries_of_finished_runs_and_redeliveries()
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        await using (var db = Database.CreateContext())
        {
            db.Jobs.AddRange(
                new Job { Id = Guid.NewGuid(), Kind = "retention", RequestedById = "u1", RequestedByName = "ann@test.local", Status = JobStatus.Succeeded, Progress = 100, CreatedUtc = now.AddMinutes(-2), FinishedUtc = now, Summary = "Deleted 4 records (Orders: 4), 0 log entries, 0 deliveries, 0 messages, 0 portal events, 0 idempotency keys and 0 audit entries." },
                new Job { Id = Guid.NewGuid(), Kind = "redelivery", RequestedById = "u1", RequestedByName = "ann@test.local", Status = JobStatus.Succeeded, Progress = 100, CreatedUtc = now.AddMinutes(-1), FinishedUtc = now, Summary = "2 deliveries sent again: 2 delivered, 0 failed." });
            await db.SaveChangesAsync();
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<JobsPage>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=job-summary]").Count));
        Assert.Equal(["2 deliveries sent again: 2 delivered, 0 failed.", "Deleted 4 records (Orders: 4), 0 log entries, 0 deliveries, 0 messages, 0 portal events, 0 idempotency keys and 0 audit entries."],
            cut.FindAll("[data-testid=job-summary]").Select(s => s.TextContent.Trim()).ToArray());
        cut.Find("[data-testid=run-retention]");
        Assert.StartsWith("Deleted 4 records", cut.Find("[data-testid=retention-summary]").TextContent.Trim());
    }

    [Fact]
    public async Task Support_sees_only_their_own_jobs_and_no_run_or_download()
    {
        await SeedAsync();
        SignInAsSupport();
        var cut = RenderWithProviders<JobsPage>();

        // The seeded jobs belong to another user: a non-admin sees only their own.
        cut.WaitForAssertion(() => cut.Find("[data-testid=jobs-empty]"));
        Assert.Empty(cut.FindAll("[data-testid=run-backup]"));
        Assert.Empty(cut.FindAll("[data-testid=download-job]"));
        Assert.Empty(cut.FindAll("[data-testid=run-retention]"));
    }
}
