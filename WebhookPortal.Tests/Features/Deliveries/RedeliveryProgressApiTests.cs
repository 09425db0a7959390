using System.Net;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// <c>GET /api/deliveries/redeliveries/{jobId}</c>: a bulk redelivery's progress counted from the deliveries stamped with its
/// job (held counted as pending), its end written to the job's row by the first read that sees it; staff only.
/// </summary>
public sealed class RedeliveryProgressApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    /// <summary>A redelivery job with deliveries in the given states, none due for a year (nothing sends them during the test).</summary>
    private async Task<(Guid JobId, List<Guid> Deliveries)> SeedAsync(params DeliveryState[] states)
    {
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var job = new Job { Id = Guid.NewGuid(), Kind = RedeliveryJobs.Kind, RequestedById = "u1", RequestedByName = "ann@test.local", Status = JobStatus.Running, CreatedUtc = now, StartedUtc = now };
        var message = new Message { Id = Guid.NewGuid(), EventType = "order.created", Payload = "{}", CreatedUtc = now };
        var deliveries = states.Select(state => new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "crm", Url = "https://example.com/crm",
            State = state, NextAttemptUtc = now.AddYears(1), CreatedUtc = now, UpdatedUtc = now, JobId = job.Id,
        }).ToList();
        await portal.WithDbAsync(db =>
        {
            db.Jobs.Add(job);
            db.Messages.Add(message);
            db.Deliveries.AddRange(deliveries);
            return db.SaveChangesAsync();
        });
        return (job.Id, deliveries.Select(d => d.Id).ToList());
    }

    [Fact]
    public async Task Progress_is_the_finished_share_and_the_last_finish_makes_it_succeeded_with_a_summary()
    {
        var (jobId, ids) = await SeedAsync(DeliveryState.Delivered, DeliveryState.Failed, DeliveryState.Cancelled, DeliveryState.Pending, DeliveryState.Held, DeliveryState.Delivered);
        var admin = portal.AsAdmin();

        var running = await (await admin.GetAsync($"/api/deliveries/redeliveries/{jobId}")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(jobId, running.GetProperty("jobId").GetGuid());
        Assert.Equal((6, 2, 1, 2, 1), (running.GetProperty("total").GetInt32(), running.GetProperty("delivered").GetInt32(), running.GetProperty("failed").GetInt32(),
            running.GetProperty("pending").GetInt32(), running.GetProperty("cancelled").GetInt32()));
        Assert.Equal(66, running.GetProperty("progress").GetInt32());
        Assert.Equal("running", running.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, running.GetProperty("summary").ValueKind);
        // The Jobs list counts it the same way.
        var listed = await (await admin.GetAsync($"/api/jobs/{jobId}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(("redelivery", "running", 66), (listed.GetProperty("kind").GetString(), listed.GetProperty("status").GetString(), listed.GetProperty("progress").GetInt32()));

        await portal.WithDbAsync(db => db.Deliveries.Where(d => d.Id == ids[3] || d.Id == ids[4]).ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Delivered)));
        var done = await (await admin.GetAsync($"/api/deliveries/redeliveries/{jobId}")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(("succeeded", 100, 4), (done.GetProperty("status").GetString(), done.GetProperty("progress").GetInt32(), done.GetProperty("delivered").GetInt32()));
        Assert.Equal("6 deliveries sent again: 4 delivered, 1 failed, 1 cancelled.", done.GetProperty("summary").GetString());
        var row = await portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));
        Assert.Equal((JobStatus.Succeeded, 100, done.GetProperty("summary").GetString()), (row.Status, row.Progress, row.Summary));
        Assert.NotNull(row.FinishedUtc);
        var listedDone = await (await admin.GetAsync($"/api/jobs/{jobId}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(("succeeded", 100), (listedDone.GetProperty("status").GetString(), listedDone.GetProperty("progress").GetInt32()));
    }

    [Fact]
    public async Task Staff_read_it_subscribers_and_strangers_do_not()
    {
        var (jobId, _) = await SeedAsync(DeliveryState.Pending);
        var path = $"/api/deliveries/redeliveries/{jobId}";

        await (await portal.AsAdmin().GetAsync(path)).ReadJsonAsync(HttpStatusCode.OK);
        await (await (await portal.AsSupportAsync()).GetAsync(path)).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Support)).GetAsync(path)).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber)).GetAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().GetAsync(path)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_unknown_id_or_another_kind_of_job_is_404()
    {
        var backup = new Job { Id = Guid.NewGuid(), Kind = "backup", RequestedById = "u1", CreatedUtc = portal.Clock.GetUtcNow().UtcDateTime, Status = JobStatus.Failed };
        await portal.WithDbAsync(db => { db.Jobs.Add(backup); return db.SaveChangesAsync(); });
        var admin = portal.AsAdmin();

        await (await admin.GetAsync($"/api/deliveries/redeliveries/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.GetAsync($"/api/deliveries/redeliveries/{backup.Id}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Redeliveries_in_progress_do_not_count_against_the_backup_limit()
    {
        // The per-user backup limit (Jobs:MaxConcurrentPerUser, 2) counts backups only: running redeliveries of the admin's stand in no one's way.
        var adminId = await portal.WithDbAsync(db => db.Users.Where(u => u.Email == PortalFactory.AdminEmail).Select(u => u.Id).SingleAsync());
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        await portal.WithDbAsync(db =>
        {
            for (var i = 0; i < 3; i++)
            {
                db.Jobs.Add(new Job { Id = Guid.NewGuid(), Kind = RedeliveryJobs.Kind, RequestedById = adminId, Status = JobStatus.Running, CreatedUtc = now, StartedUtc = now });
            }

            return db.SaveChangesAsync();
        });

        await (await portal.AsAdmin().PostAsync("/api/backup/owner", null)).ReadJsonAsync(HttpStatusCode.Accepted);
    }
}
