using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// The delivery engine's batching (issue 17): claims and attempt records share commits (<see cref="AttemptRecorder"/>),
/// a lane's runner claims a few deliveries at once, and committed deliveries reach the lanes without a Hangfire job
/// each. Each delivery is still attempted once, counted once and logged once; a bad write fails only its own caller.
/// </summary>
public sealed class DeliveryBatchingTests(DeliveryBatchingTests.Portal portal) : IClassFixture<DeliveryBatchingTests.Portal>
{
    /// <summary>Patient timeouts (these tests count attempts, on loaded machines), 3 attempts at once per receiver, and a Hangfire client that records what it is given.</summary>
    public sealed class Portal : DeliveryPortalFactory
    {
        public List<Job> HangfireJobs { get; } = [];

        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.UseSetting("Delivery:ConnectTimeout", "00:00:10");
            builder.UseSetting("Delivery:ReadTimeout", "00:00:10");
            builder.UseSetting("Delivery:MaxConcurrencyPerTarget", "3");
            builder.ConfigureServices(services =>
            {
                services.RemoveAll<IBackgroundJobClient>();
                services.AddSingleton<IBackgroundJobClient>(sp => new RecordingClient(new BackgroundJobClient(sp.GetRequiredService<JobStorage>()), HangfireJobs));
            });
        }

        public int QueueJobs()
        {
            lock (HangfireJobs)
            {
                return HangfireJobs.Count(j => j.Type == typeof(DeliveryDispatcher) && j.Method.Name == nameof(DeliveryDispatcher.Queue));
            }
        }
    }

    private sealed class RecordingClient(IBackgroundJobClient inner, List<Job> jobs) : IBackgroundJobClient
    {
        public string Create(Job job, IState state)
        {
            lock (jobs)
            {
                jobs.Add(job);
            }

            return inner.Create(job, state);
        }

        public bool ChangeState(string jobId, IState state, string expectedState) => inner.ChangeState(jobId, state, expectedState);
    }

    [Fact]
    public async Task A_backlog_to_one_receiver_is_delivered_once_each_counted_once_and_logged_once_in_shared_commits()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Default = new PlannedAnswer(200, TimeSpan.FromMilliseconds(20));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var recorder = portal.Services.GetRequiredService<AttemptRecorder>();
        var (writesBefore, commitsBefore) = (recorder.Writes, recorder.Commits);
        const int count = 60;

        await Task.WhenAll(Enumerable.Range(0, count).Select(i => portal.PublishAsync(webhook.IntegrationId, $$"""{"n":{{i}}}""")));

        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Delivered)) == count,
            "every delivery delivered", TimeSpan.FromSeconds(60));
        var deliveries = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == webhook.Id).ToListAsync());
        Assert.All(deliveries, d => Assert.Equal(1, d.AttemptCount));
        Assert.All(deliveries, d => Assert.Null(d.LeaseUntilUtc));
        Assert.Equal(count, receiver.Requests.Count);
        Assert.Equal(count, receiver.Requests.Select(r => r.Headers["webhook-id"]).Distinct().Count());
        Assert.True(receiver.MaxConcurrent <= 3, $"at most 3 at once to one receiver, saw {receiver.MaxConcurrent}");
        var logged = await portal.WithDbAsync(db => db.LogEntries.AsNoTracking().Where(l => l.SourceId == webhook.Id && l.Direction == LogDirection.Outbound).ToListAsync());
        Assert.Equal(count, logged.Count);
        Assert.All(logged, l => Assert.Equal((1, LogState.Success), (l.Attempt, l.State)));
        Assert.Equal(deliveries.Select(d => d.Id).Order(), logged.Select(l => l.DeliveryId!.Value).Order());

        // Every claim and record went through the recorder, and they shared transactions.
        var (writes, commits) = (recorder.Writes - writesBefore, recorder.Commits - commitsBefore);
        Assert.True(writes >= count, $"each record is a write: {writes} for {count} deliveries");
        Assert.True(commits < writes, $"{writes} writes in {commits} commits");
    }

    [Fact]
    public async Task Committed_deliveries_reach_the_lanes_without_a_Hangfire_job_each()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var jobsBefore = portal.QueueJobs();

        // Through the API (the publish writer) and through the outbox (redeliveries, portal events, test events).
        await portal.PublishAsync(webhook.IntegrationId);
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().PublishAsync(webhook.IntegrationId, "usage.threshold", """{"n":2}""",
                [new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, "hook", receiver.Url())]);
        }

        await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Delivered)) == 2,
            "both delivered", TimeSpan.FromSeconds(30));
        Assert.Equal(jobsBefore, portal.QueueJobs());
    }

    [Fact]
    public async Task A_retry_is_still_handed_to_Hangfire_for_its_time()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500), new PlannedAnswer(200));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var jobsBefore = portal.QueueJobs();

        await portal.PublishAsync(webhook.IntegrationId);

        var delivered = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(30));
        Assert.Equal(2, delivered.AttemptCount);
        // At least one (a job woken a few milliseconds early puts itself back for its time, which is a second).
        Assert.True(portal.QueueJobs() > jobsBefore, "the retry went through Hangfire");
    }

    [Fact]
    public async Task A_claim_wins_only_due_pending_unleased_deliveries_and_only_once()
    {
        var recorder = portal.Services.GetRequiredService<AttemptRecorder>();
        // Due an hour from now, so the portal's own sweep (on real time) leaves them to this test.
        var now = DateTime.UtcNow.AddHours(1);
        var due = await StoreDeliveryAsync(now.AddMinutes(-1), DeliveryState.Pending, lease: null);
        var notDue = await StoreDeliveryAsync(now.AddMinutes(5), DeliveryState.Pending, lease: null);
        var leased = await StoreDeliveryAsync(now.AddMinutes(-1), DeliveryState.Pending, lease: now.AddMinutes(1));
        var leaseRunOut = await StoreDeliveryAsync(now.AddMinutes(-1), DeliveryState.Pending, lease: now.AddMinutes(-1));
        var delivered = await StoreDeliveryAsync(now.AddMinutes(-1), DeliveryState.Delivered, lease: null);
        // Whole milliseconds: PostgreSQL keeps microseconds, .NET ticks.
        var lease = new DateTime(now.AddMinutes(2).Ticks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

        var won = await recorder.ClaimAsync([due, notDue, leased, leaseRunOut, delivered], now, lease);

        Assert.Equal(new[] { due, leaseRunOut }.Order(), won.Order());
        var rows = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.Id == due || d.Id == notDue || d.Id == leaseRunOut).ToDictionaryAsync(d => d.Id));
        Assert.Equal((1, lease), (rows[due].AttemptCount, rows[due].LeaseUntilUtc));
        Assert.Equal((1, lease), (rows[leaseRunOut].AttemptCount, rows[leaseRunOut].LeaseUntilUtc));
        Assert.Equal((0, (DateTime?)null), (rows[notDue].AttemptCount, rows[notDue].LeaseUntilUtc));

        // Ten claimers of one delivery at once, in the same or in different batches: one wins.
        var contested = await StoreDeliveryAsync(now.AddMinutes(-1), DeliveryState.Pending, lease: null);
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => recorder.ClaimAsync(contested, now, lease)));
        Assert.Single(results, r => r);
        Assert.Equal(1, (await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == contested))).AttemptCount);
    }

    [Fact]
    public async Task A_write_that_fails_fails_only_its_own_caller()
    {
        var recorder = portal.Services.GetRequiredService<AttemptRecorder>();
        var marker = "batch-" + Guid.NewGuid().ToString("N");
        var contexts = new List<(WebhookPortal.Data.PortalDbContext Db, bool Bad)>();
        for (var i = 0; i < 12; i++)
        {
            var db = await portal.Services.GetRequiredService<IDbContextFactory<WebhookPortal.Data.PortalDbContext>>().CreateDbContextAsync();
            db.LogEntries.Add(new LogEntry { TimeUtc = DateTime.UtcNow, Direction = LogDirection.Outbound, Name = marker, Method = "POST", Path = "/" + i, State = LogState.Success });
            var bad = i == 5;
            if (bad)
            {
                // An update of a delivery that does not exist: 0 rows where 1 was expected.
                var ghost = new Delivery { Id = Guid.NewGuid(), TargetKind = DeliveryTargetKind.Webhook, TargetName = "ghost", Url = "http://127.0.0.1/" };
                db.Deliveries.Attach(ghost);
                ghost.LastError = "never stored";
            }

            contexts.Add((db, bad));
        }

        var saves = contexts.Select(c => recorder.SaveAsync(c.Db)).ToList();
        for (var i = 0; i < saves.Count; i++)
        {
            if (contexts[i].Bad)
            {
                await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => saves[i]);
            }
            else
            {
                await saves[i];
            }
        }

        foreach (var (db, _) in contexts)
        {
            await db.DisposeAsync();
        }

        var stored = await portal.WithDbAsync(db => db.LogEntries.AsNoTracking().Where(l => l.Name == marker).Select(l => l.Path).ToListAsync());
        Assert.Equal(Enumerable.Range(0, 12).Where(i => i != 5).Select(i => "/" + i).Order(), stored.Order());
    }

    [Fact]
    public async Task Handing_back_lifts_only_the_leases_its_claim_set_and_takes_their_attempt_back()
    {
        var recorder = portal.Services.GetRequiredService<AttemptRecorder>();
        var now = DateTime.UtcNow.AddHours(1); // out of the sweep's way, as above
        var ours = await StoreDeliveryAsync(now.AddMinutes(-1), DeliveryState.Pending, lease: null);
        var alsoOurs = await StoreDeliveryAsync(now.AddMinutes(-1), DeliveryState.Pending, lease: null);
        var lease = new DateTime(now.AddMinutes(2).Ticks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
        Assert.Equal(2, (await recorder.ClaimAsync([ours, alsoOurs], now, lease)).Count);
        var otherLease = lease.AddMinutes(1);
        var someoneElses = await StoreDeliveryAsync(now.AddMinutes(-1), DeliveryState.Pending, lease: otherLease);

        await recorder.HandBackAsync([ours, alsoOurs, someoneElses], lease);

        var rows = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.Id == ours || d.Id == alsoOurs || d.Id == someoneElses).ToDictionaryAsync(d => d.Id));
        Assert.Equal((0, (DateTime?)null), (rows[ours].AttemptCount, rows[ours].LeaseUntilUtc));
        Assert.Equal((0, (DateTime?)null), (rows[alsoOurs].AttemptCount, rows[alsoOurs].LeaseUntilUtc));
        Assert.Equal((0, (DateTime?)otherLease), (rows[someoneElses].AttemptCount, rows[someoneElses].LeaseUntilUtc));

        // Nothing to hand back changes nothing.
        await recorder.HandBackAsync([], lease);
    }

    private Task<Guid> StoreDeliveryAsync(DateTime nextAttempt, DeliveryState state, DateTime? lease) => portal.WithDbAsync(async db =>
    {
        var message = new Message { Id = Guid.NewGuid(), EventType = "claim.test", Payload = "{}", CreatedUtc = DateTime.UtcNow };
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "claim",
            Url = "http://127.0.0.1/", State = state, NextAttemptUtc = nextAttempt, LeaseUntilUtc = lease, CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
        };
        db.Messages.Add(message);
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        return delivery.Id;
    });
}
