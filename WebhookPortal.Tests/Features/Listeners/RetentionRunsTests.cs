using System.Net;
using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>
/// "Run retention now" as a job (issue 20): 202 with the run, its progress and summary read by id or as the latest, one run
/// at a time, administrators only; the scheduled job goes on as before, and a run left unfinished by a stopped portal runs at start.
/// </summary>
public sealed class RetentionRunsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private Task<int> RetentionJobsAsync() => portal.WithDbAsync(db => db.Jobs.CountAsync(j => j.Kind == RetentionRuns.Kind));

    [Fact]
    public async Task A_run_answers_202_with_the_job_and_is_read_until_it_succeeds_with_its_counts()
    {
        var listener = await portal.CreateListenerAsync(retentionDays: 10);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        portal.Clock.Advance(TimeSpan.FromDays(11));
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":2}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var admin = portal.AsAdmin();

        var response = await admin.PostAsync("/api/maintenance/retention/run", null);
        var started = await response.ReadJsonAsync(HttpStatusCode.Accepted);

        var id = started.GetProperty("id").GetGuid();
        Assert.Equal($"/api/maintenance/retention/runs/{id}", started.GetProperty("links").GetProperty("self").GetString());
        Assert.Equal($"/api/maintenance/retention/runs/{id}", response.Headers.Location?.OriginalString);
        Assert.Contains(started.GetProperty("status").GetString(), new[] { "queued", "running", "succeeded" });
        Assert.Equal(PortalFactory.AdminEmail, started.GetProperty("requestedBy").GetString());

        var run = await Eventually.ValueAsync(async () => await (await admin.GetAsync($"/api/maintenance/retention/runs/{id}")).ReadJsonAsync(HttpStatusCode.OK),
            r => r.GetProperty("status").GetString() == "succeeded", "the run to succeed");
        Assert.Equal(100, run.GetProperty("progress").GetInt32());
        Assert.Equal(1, run.Deleted("record", "records"));
        Assert.StartsWith($"Deleted 1 record ({listener.Name}: 1), ", run.GetProperty("summary").GetString());
        Assert.NotEqual(JsonValueKind.Null, run.GetProperty("finished").ValueKind);
        var left = (await portal.RecordsAsync(listener.Id)).GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal([2L], left);

        var latest = await (await admin.GetAsync("/api/maintenance/retention/runs/latest")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(id, latest.GetProperty("id").GetGuid());
        var row = await portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id));
        Assert.Equal((JobStatus.Succeeded, 100, RetentionRuns.Kind), (row.Status, row.Progress, row.Kind));
        Assert.Null(row.LeaseUntilUtc);
    }

    [Fact]
    public async Task A_start_while_a_run_is_queued_answers_that_run_and_queues_nothing_more()
    {
        // A queued run whose job has not been picked up yet (nothing runs it in this test; it is not old enough to look lost).
        var queued = new Job { Id = Guid.NewGuid(), Kind = RetentionRuns.Kind, RequestedById = "other", RequestedByName = "other@test.local", CreatedUtc = portal.Clock.GetUtcNow().UtcDateTime };
        await portal.WithDbAsync(db => { db.Jobs.Add(queued); return db.SaveChangesAsync(); });
        try
        {
            var before = await RetentionJobsAsync();

            var response = await portal.AsAdmin().PostAsync("/api/maintenance/retention/run", null);
            var answer = await response.ReadJsonAsync(HttpStatusCode.Accepted);

            Assert.Equal(queued.Id, answer.GetProperty("id").GetGuid());
            Assert.Equal("queued", answer.GetProperty("status").GetString());
            Assert.Equal("other@test.local", answer.GetProperty("requestedBy").GetString());
            Assert.Equal($"/api/maintenance/retention/runs/{queued.Id}", response.Headers.Location?.OriginalString);
            Assert.Equal(before, await RetentionJobsAsync());
        }
        finally
        {
            // Out of the way of the other tests' runs.
            await portal.WithDbAsync(db => db.Jobs.Where(j => j.Id == queued.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Failed)));
        }
    }

    [Fact]
    public async Task A_run_whose_worker_died_is_taken_over_by_the_next_start_and_finishes()
    {
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var orphan = new Job
        {
            Id = Guid.NewGuid(), Kind = RetentionRuns.Kind, RequestedById = "gone", RequestedByName = "gone@test.local", CreatedUtc = now.AddMinutes(-10),
            Status = JobStatus.Running, StartedUtc = now.AddMinutes(-10), Progress = 40, LeaseUntilUtc = now.AddMinutes(-1),
        };
        await portal.WithDbAsync(db => { db.Jobs.Add(orphan); return db.SaveChangesAsync(); });
        var before = await RetentionJobsAsync();

        var answer = await (await portal.AsAdmin().PostAsync("/api/maintenance/retention/run", null)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(orphan.Id, answer.GetProperty("id").GetGuid());
        var row = await Eventually.ValueAsync(() => portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == orphan.Id)),
            j => j.Status == JobStatus.Succeeded, "the orphaned run to be run to its end");
        Assert.StartsWith("Deleted ", row.Summary);
        Assert.Equal(before, await RetentionJobsAsync());
    }

    [Fact]
    public async Task A_failing_run_ends_failed_with_its_error()
    {
        var listener = await portal.CreateListenerAsync(retentionDays: 10);
        var table = WebhookPortal.Features.Listeners.Tables.SqlDialect.PhysicalName(listener.Id, "orders");
        var children = WebhookPortal.Features.Listeners.Tables.SqlDialect.PhysicalName(listener.Id, "orders_comments");
        // Its tables gone behind the portal's back: deleting its aged records cannot work.
        await portal.WithDbAsync(db => db.Database.ExecuteSqlRawAsync($"DROP TABLE \"{children}\"; DROP TABLE \"{table}\";"));
        try
        {
            var run = await portal.RunRetentionAsync();

            Assert.Equal("failed", run.GetProperty("status").GetString());
            Assert.False(string.IsNullOrWhiteSpace(run.GetProperty("error").GetString()));
            Assert.Equal(JsonValueKind.Null, run.GetProperty("summary").ValueKind);
            Assert.NotEqual(JsonValueKind.Null, run.GetProperty("finished").ValueKind);
        }
        finally
        {
            await portal.WithDbAsync(db => db.Listeners.Where(l => l.Id == listener.Id).ExecuteUpdateAsync(s => s.SetProperty(l => l.RetentionDays, (int?)null)));
        }
    }

    [Fact]
    public async Task The_scheduled_run_still_deletes_and_leaves_no_job_row()
    {
        var listener = await portal.CreateListenerAsync(retentionDays: 5);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        portal.Clock.Advance(TimeSpan.FromDays(6));
        var before = await RetentionJobsAsync();

        // What Hangfire's recurring job "retention" calls.
        using (var scope = portal.Services.CreateScope())
        {
            var report = await scope.ServiceProvider.GetRequiredService<RetentionService>().RunAsync();
            Assert.Equal(1, report.RecordsDeletedByListener[listener.Name]);
        }

        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
        Assert.Equal(before, await RetentionJobsAsync());
    }

    [Fact]
    public async Task Only_administrators_start_or_read_runs()
    {
        var support = await portal.AsSupportAsync();
        var supportKey = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Support));
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber));
        var adminKey = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Admin));
        var run = await portal.RunRetentionAsync(adminKey);
        var id = run.GetProperty("id").GetGuid();
        var before = await RetentionJobsAsync();

        foreach (var client in new[] { support, supportKey, subscriber })
        {
            await (await client.PostAsync("/api/maintenance/retention/run", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
            await (await client.GetAsync($"/api/maintenance/retention/runs/{id}")).AssertProblemAsync(HttpStatusCode.Forbidden);
            await (await client.GetAsync("/api/maintenance/retention/runs/latest")).AssertProblemAsync(HttpStatusCode.Forbidden);
        }

        await (await portal.Anonymous().PostAsync("/api/maintenance/retention/run", null)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.Anonymous().GetAsync($"/api/maintenance/retention/runs/{id}")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.Anonymous().GetAsync("/api/maintenance/retention/runs/latest")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(before, await RetentionJobsAsync());

        // The page calls the service directly: it refuses Support the same way.
        using var scope = portal.Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<PortalCaller>().Use(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, PortalFactory.SupportEmail), new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, PortalRoles.Support)], "Test")));
        var runs = scope.ServiceProvider.GetRequiredService<RetentionRuns>();
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() => runs.StartAsync());
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() => runs.LatestAsync());
        Assert.Equal(before, await RetentionJobsAsync());
    }

    [Fact]
    public async Task An_unknown_run_or_another_kind_of_job_is_404()
    {
        var admin = portal.AsAdmin();
        var backup = new Job { Id = Guid.NewGuid(), Kind = "backup", RequestedById = "u", CreatedUtc = portal.Clock.GetUtcNow().UtcDateTime, Status = JobStatus.Failed };
        await portal.WithDbAsync(db => { db.Jobs.Add(backup); return db.SaveChangesAsync(); });

        await (await admin.GetAsync($"/api/maintenance/retention/runs/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.GetAsync($"/api/maintenance/retention/runs/{backup.Id}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Before_any_run_the_latest_is_404_and_a_run_left_queued_by_a_stopped_portal_runs_at_start()
    {
        var directory = Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));
        var jobId = Guid.NewGuid();
        try
        {
            using (var first = new PortalFactory(directory))
            {
                await (await first.AsAdmin().GetAsync("/api/maintenance/retention/runs/latest")).AssertProblemAsync(HttpStatusCode.NotFound);
                // As if the portal stopped right after answering 202: the row is queued, Hangfire's job is gone.
                await first.WithDbAsync(db =>
                {
                    db.Jobs.Add(new Job { Id = jobId, Kind = RetentionRuns.Kind, RequestedById = "someone", RequestedByName = PortalFactory.AdminEmail, CreatedUtc = DateTime.UtcNow });
                    return db.SaveChangesAsync();
                });
            }

            using var second = new PortalFactory(directory);
            var run = await Eventually.ValueAsync(async () => await (await second.AsAdmin().GetAsync($"/api/maintenance/retention/runs/{jobId}")).ReadJsonAsync(HttpStatusCode.OK),
                r => r.GetProperty("status").GetString() == "succeeded", "the queued run to run after the restart", TimeSpan.FromSeconds(30));
            Assert.StartsWith("Deleted ", run.GetProperty("summary").GetString());
            // The audit entry names who asked, from the row (the restart lost the request's address).
            var audit = await second.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "retention.run" && e.ResourceId == jobId.ToString()));
            Assert.Equal(PortalFactory.AdminEmail, audit.ActorName);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>A portal whose Hangfire client only records: retention runs stay queued, so starts can race on the same row.</summary>
public sealed class QueuedOnlyPortalFactory : PortalFactory
{
    public RecordingJobClient Jobs { get; } = new();

    protected override void ConfigurePortal(IWebHostBuilder builder) => builder.ConfigureServices(services =>
    {
        services.RemoveAll<IBackgroundJobClient>();
        services.AddSingleton<IBackgroundJobClient>(Jobs);
    });
}

public sealed class RetentionRunStartTests(QueuedOnlyPortalFactory portal) : IClassFixture<QueuedOnlyPortalFactory>
{
    [Fact]
    public async Task Simultaneous_starts_make_one_run_and_answer_it_to_everyone()
    {
        var admin = portal.AsAdmin();
        var before = await portal.WithDbAsync(db => db.Jobs.CountAsync(j => j.Kind == RetentionRuns.Kind && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running)));
        Assert.Equal(0, before);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ => await (await admin.PostAsync("/api/maintenance/retention/run", null)).ReadJsonAsync(HttpStatusCode.Accepted)));

        var id = Assert.Single(answers.Select(a => a.GetProperty("id").GetGuid()).Distinct());
        Assert.All(answers, a => Assert.Equal("queued", a.GetProperty("status").GetString()));
        Assert.Equal([id], await portal.WithDbAsync(db => db.Jobs.Where(j => j.Kind == RetentionRuns.Kind).Select(j => j.Id).ToListAsync()));
        // Handed to Hangfire once: the other starts found it queued.
        Assert.Single(portal.Jobs.Created, j => j.Job.Type == typeof(RetentionRunJob) && (Guid)j.Job.Args[0] == id);
    }
}
