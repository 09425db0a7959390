using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Jobs;

/// <summary>Expiry of tokens and downloads with a fake clock, and jobs surviving a restart.</summary>
public sealed class JobsClockTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<string> TokenAsync()
    {
        var key = (await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "k", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("key").GetString()!;
        return (await (await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key, username = PortalFactory.AdminEmail, password = PortalFactory.AdminPassword })).ReadJsonAsync(HttpStatusCode.OK))
            .GetProperty("token").GetString()!;
    }

    private async Task<Job> WaitForJobAsync(Guid id)
    {
        return await Eventually.ValueAsync(() => portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id)),
            job => job.Status is JobStatus.Succeeded or JobStatus.Failed, "the job finished", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_token_expires_after_its_lifetime()
    {
        var token = await TokenAsync();
        var client = portal.Anonymous();
        client.DefaultRequestHeaders.Add("token", token);
        await (await client.GetAsync("/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);

        portal.Clock.Advance(TimeSpan.FromMinutes(61));

        await (await client.GetAsync("/api/jobs")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_download_link_expires_after_its_lifetime()
    {
        var accepted = await (await portal.AsAdmin().PostAsync("/api/backup", null)).ReadJsonAsync(HttpStatusCode.Accepted);
        var job = await WaitForJobAsync(accepted.GetProperty("jobId").GetGuid());
        Assert.Equal(JobStatus.Succeeded, job.Status);
        string url;
        using (var scope = portal.Services.CreateScope())
        {
            // The Jobs page's link, made for an administrator (the service checks the caller).
            scope.ServiceProvider.GetRequiredService<WebhookPortal.Infrastructure.Auth.PortalCaller>().Use(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
                [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, WebhookPortal.Infrastructure.Auth.PortalRoles.Admin)], "Test")));
            url = (await scope.ServiceProvider.GetRequiredService<JobService>().DownloadUrlAsync(job.Id, CancellationToken.None))!;
        }

        Assert.Equal(HttpStatusCode.OK, (await portal.Anonymous().GetAsync("/" + url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await portal.Anonymous().GetAsync("/" + url.Replace("key=", "key=x", StringComparison.Ordinal))).StatusCode);

        portal.Clock.Advance(TimeSpan.FromHours(25));

        await (await portal.Anonymous().GetAsync("/" + url)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_job_another_run_holds_is_left_alone_until_its_lease_lapses_then_taken_over()
    {
        var jobId = Guid.NewGuid();
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        await portal.WithDbAsync(db =>
        {
            db.Jobs.Add(new Job
            {
                Id = jobId, Kind = "backup", RequestedById = "someone", CreatedUtc = now, Status = JobStatus.Running,
                StartedUtc = now, Progress = 40, LeaseUntilUtc = now.AddMinutes(1),
            });
            return db.SaveChangesAsync();
        });
        var storage = portal.Services.GetRequiredService<Hangfire.JobStorage>();
        var scheduledBefore = storage.GetMonitoringApi().ScheduledCount();

        async Task RunAsync()
        {
            using var scope = portal.Services.CreateScope();
            await ActivatorUtilities.CreateInstance<BackupJob>(scope.ServiceProvider).RunAsync(jobId);
        }

        // The other run is alive: this one neither restarts nor writes anything, and looks again later.
        await RunAsync();
        var held = await portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));
        Assert.Equal(JobStatus.Running, held.Status);
        Assert.Equal(40, held.Progress);
        Assert.Null(held.FilePath);
        Assert.Equal(scheduledBefore + 1, storage.GetMonitoringApi().ScheduledCount());

        // The other run died: once its lease lapses, this one takes the job over and finishes it.
        portal.Clock.Advance(TimeSpan.FromMinutes(2));
        await RunAsync();
        var done = await portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Null(done.LeaseUntilUtc);
        Assert.True(File.Exists(done.FilePath));
    }

    [Fact]
    public async Task A_job_left_queued_by_a_stopped_process_runs_after_a_restart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));
        var jobId = Guid.NewGuid();
        try
        {
            using (var first = new PortalFactory(directory))
            {
                // As if the process died right after answering 202: the row is queued, Hangfire's job is gone.
                await first.WithDbAsync(db =>
                {
                    db.Jobs.Add(new Job { Id = jobId, Kind = "backup", RequestedById = "someone", CreatedUtc = DateTime.UtcNow });
                    return db.SaveChangesAsync();
                });
            }

            using var second = new PortalFactory(directory);
            _ = second.Services;
            await Eventually.TrueAsync(async () => await second.WithDbAsync(db => db.Jobs.Where(j => j.Id == jobId).Select(j => j.Status).SingleAsync()) == JobStatus.Succeeded,
                "the queued job ran after the restart", TimeSpan.FromSeconds(10));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
