using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A lane's runner claims its next share of the backlog while it attempts the current one (issue 17, drain): the
/// claim's wait for the recorder's commit overlaps the attempts. Each delivery is still attempted, counted and logged
/// once, and a claimed share's lease covers the attempts queued before it in the runner.
/// </summary>
public sealed class DeliveryClaimAheadTests(DeliveryClaimAheadTests.Portal portal) : IClassFixture<DeliveryClaimAheadTests.Portal>
{
    /// <summary>One runner per receiver, so what it has claimed is visible in the leases; a patient read timeout.</summary>
    public class Portal : DeliveryPortalFactory
    {
        public Portal()
        {
        }

        internal Portal(string directory, int maxConcurrency = 32, TimeSpan? readTimeout = null)
            : base(directory, TimeSpan.FromSeconds(1))
        {
            MaxConcurrency = maxConcurrency;
            ReadTimeout = readTimeout ?? ReadTimeout;
        }

        internal Portal(int maxConcurrency, TimeSpan leaseMargin)
        {
            MaxConcurrency = maxConcurrency;
            LeaseMargin = leaseMargin;
        }

        private int MaxConcurrency { get; } = 32;

        private TimeSpan LeaseMargin { get; } = TimeSpan.FromSeconds(30);

        private TimeSpan ReadTimeout { get; } = TimeSpan.FromSeconds(10);

        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.UseSetting("Delivery:ReadTimeout", ReadTimeout.ToString());
            builder.UseSetting("Delivery:MaxConcurrencyPerTarget", "1");
            builder.UseSetting("Delivery:MaxConcurrency", MaxConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Delivery:LeaseMargin", LeaseMargin.ToString());
        }
    }

    [Fact]
    public async Task While_the_runner_attempts_one_share_the_next_one_is_already_claimed_and_each_delivery_goes_once()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(200, TimeSpan.FromSeconds(8))); // the first attempt is held; the rest answer at once
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        const int count = 20;

        // One commit, one hand-over: the whole backlog reaches the lane at once.
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().PublishAsync(webhook.IntegrationId, "usage.threshold", """{"n":1}""",
                [.. Enumerable.Range(0, count).Select(_ => new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, "hook", receiver.Url()))]);
        }

        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(30));
        // The first attempt is still held by the receiver: one share (at most ClaimAhead) is being attempted, and the
        // next is leased too. Claimed one share at a time, no more than ClaimAhead would be.
        var leased = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking()
            .Where(d => d.TargetId == webhook.Id && d.State == DeliveryState.Pending && d.LeaseUntilUtc != null)
            .Select(d => d.LeaseUntilUtc!.Value).ToListAsync());
        Assert.Equal(0, receiver.Answered);
        Assert.True(leased.Count > DeliveryDispatcher.ClaimAhead, $"{leased.Count} deliveries leased while the first share is attempted");
        // The later share's lease also covers the share ahead of it: each lease outlives the attempts before it.
        var perAttempt = TimeSpan.FromSeconds(1 + 10);
        Assert.True(leased.Max() - leased.Min() >= perAttempt, $"leases from {leased.Min():O} to {leased.Max():O}");

        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Delivered)) == count,
            "every delivery delivered", TimeSpan.FromSeconds(60));
        var deliveries = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == webhook.Id).ToListAsync());
        Assert.All(deliveries, d => Assert.Equal(1, d.AttemptCount));
        Assert.All(deliveries, d => Assert.Null(d.LeaseUntilUtc));
        Assert.Equal(count, receiver.Requests.Count);
        Assert.Equal(1, receiver.MaxConcurrent);
        var logged = await portal.WithDbAsync(db => db.LogEntries.AsNoTracking().Where(l => l.SourceId == webhook.Id && l.Direction == LogDirection.Outbound).ToListAsync());
        Assert.Equal(deliveries.Select(d => d.Id).Order(), logged.Select(l => l.DeliveryId!.Value).Order());
    }

    [Fact]
    public async Task A_stop_finishes_the_attempt_under_way_and_hands_back_the_claimed_rest_with_no_retry_lost()
    {
        var directory = Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(200, TimeSpan.FromSeconds(4))); // the first attempt is under way when the portal stops
        const int count = 20;
        try
        {
            TestWebhook webhook;
            using (var first = new Portal(directory))
            {
                webhook = await first.CreateWebhookAsync(receiver.Url());
                await using (var scope = first.Services.CreateAsyncScope())
                {
                    await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().PublishAsync(webhook.IntegrationId, "usage.threshold", """{"n":1}""",
                        [.. Enumerable.Range(0, count).Select(_ => new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, "hook", receiver.Url()))]);
                }

                await receiver.WaitForAsync(1, TimeSpan.FromSeconds(30));
                await Eventually.TrueAsync(
                    async () => await first.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.LeaseUntilUtc != null)) > DeliveryDispatcher.ClaimAhead,
                    "the next share claimed while the first attempt is held", TimeSpan.FromSeconds(3));

                // Disposing stops the host while the receiver still holds the first attempt.
            }

            // The attempt under way was finished; nothing else claimed was attempted during the stop (a runner used to
            // attempt both of its claimed shares first: up to 2 x ClaimAhead requests to a receiver that may hang).
            Assert.Equal(1, receiver.Answered);
            Assert.Single(receiver.Requests);

            using var second = new Portal(directory);
            await Eventually.TrueAsync(
                async () => await second.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Delivered)) == count,
                "every delivery delivered after the restart", TimeSpan.FromSeconds(60));

            // Handed back with their attempt numbers restored: each delivery was attempted once and counted once, and none
            // waited out a lease (the sweep at the start took them at once).
            var deliveries = await second.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == webhook.Id).ToListAsync());
            Assert.All(deliveries, d => Assert.Equal(1, d.AttemptCount));
            Assert.Equal(count, receiver.Requests.Count);
            var logged = await second.WithDbAsync(db => db.LogEntries.AsNoTracking().Where(l => l.SourceId == webhook.Id && l.Direction == LogDirection.Outbound).Select(l => l.DeliveryId!.Value).ToListAsync());
            Assert.Equal(deliveries.Select(d => d.Id).Order(), logged.Order());
        }
        finally
        {
            DeleteDirectory(directory);
        }
    }

    /// <summary>
    /// The stop is signalled while the one attempt the portal may run (Delivery:MaxConcurrency 1) is held by a slow
    /// receiver (it answers once the test has looked). Everything else claimed goes back at once, not after that
    /// attempt: the rest of its runner's shares, and the share of another receiver's runner that waits for the slot. Before, the hand-back waited for the attempt under
    /// way (which may take its whole timeouts), and a claimed delivery waiting for the slot was attempted once the slot
    /// freed, after the stop.
    /// </summary>
    [Fact]
    public async Task At_a_stop_what_is_claimed_but_not_started_goes_back_at_once_even_while_it_waits_for_a_slot()
    {
        var directory = Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));
        await using var slow = await LoopbackReceiver.StartAsync();
        await using var other = await LoopbackReceiver.StartAsync();
        var slowGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.Answer(new PlannedAnswer(200, Gate: slowGate.Task)); // under way when the stop comes, until the test has looked
        const int slowCount = 20;
        const int otherCount = 5;
        try
        {
            TestWebhook slowHook;
            TestWebhook otherHook;
            using (var first = new Portal(directory, maxConcurrency: 1, readTimeout: TimeSpan.FromSeconds(60)))
            {
                slowHook = await first.CreateWebhookAsync(slow.Url());
                otherHook = await first.CreateWebhookAsync(other.Url());
                await PublishAsync(first, slowHook, slow, slowCount);
                await slow.WaitForAsync(1, TimeSpan.FromSeconds(30));
                await PublishAsync(first, otherHook, other, otherCount);
                await Eventually.TrueAsync(
                    async () => await first.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == otherHook.Id && d.LeaseUntilUtc != null)) > 0
                        && await first.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == slowHook.Id && d.LeaseUntilUtc != null)) > DeliveryDispatcher.ClaimAhead,
                    "the other receiver's share claimed and waiting for the slot, the slow one's next share claimed", TimeSpan.FromSeconds(5));

                first.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().StopApplication();

                // While the slow attempt is still unanswered, only that attempt is leased and counted.
                await Eventually.TrueAsync(
                    async () => await first.WithDbAsync(db => db.Deliveries.CountAsync(d => (d.TargetId == slowHook.Id || d.TargetId == otherHook.Id) && d.LeaseUntilUtc != null)) == 1,
                    "everything but the attempt under way handed back", TimeSpan.FromSeconds(4));
                Assert.Equal(0, slow.Answered);
                var underWay = await first.WithDbAsync(db => db.Deliveries.Where(d => d.LeaseUntilUtc != null && (d.TargetId == slowHook.Id || d.TargetId == otherHook.Id)).Select(d => new { d.Id, d.TargetId }).SingleAsync());
                Assert.Equal(slowHook.Id, underWay.TargetId);
                var counted = await first.WithDbAsync(db => db.Deliveries.Where(d => (d.TargetId == slowHook.Id || d.TargetId == otherHook.Id) && d.AttemptCount > 0).Select(d => d.Id).ToListAsync());
                Assert.Equal([underWay.Id], counted); // the others' attempt numbers restored

                // Disposing stops the host: it waits for the attempt under way, and attempts nothing else.
                slowGate.SetResult();
            }

            Assert.Equal(1, slow.Answered);
            Assert.Single(slow.Requests);
            Assert.Empty(other.Requests);

            using var second = new Portal(directory);
            await Eventually.TrueAsync(
                async () => await second.WithDbAsync(db => db.Deliveries.CountAsync(d => (d.TargetId == slowHook.Id || d.TargetId == otherHook.Id) && d.State == DeliveryState.Delivered)) == slowCount + otherCount,
                "every delivery delivered after the restart", TimeSpan.FromSeconds(60));
            var deliveries = await second.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == slowHook.Id || d.TargetId == otherHook.Id).ToListAsync());
            Assert.All(deliveries, d => Assert.Equal(1, d.AttemptCount));
            Assert.Equal(slowCount, slow.Requests.Count);
            Assert.Equal(otherCount, other.Requests.Count);
        }
        finally
        {
            DeleteDirectory(directory);
        }
    }

    /// <summary>
    /// Two slow receivers fill the only slot (Delivery:MaxConcurrency 1), one after the other, while a third receiver's
    /// claimed delivery waits for it longer than its lease (1 s connect + 10 s read + 1 s margin). Its lease runs out and
    /// another instance claims it (done here by the test, as a second portal's sweep would). When the slot frees, this
    /// portal must not send it too. Before, a claim's lease did not count the wait for a slot: it was sent twice.
    /// The slow receivers answer when the test opens their gates, each well within its read timeout.
    /// </summary>
    [Fact]
    public async Task A_claim_that_ran_out_while_waiting_for_a_slot_and_was_claimed_elsewhere_is_not_sent_again()
    {
        await using var slowA = await LoopbackReceiver.StartAsync();
        await using var slowB = await LoopbackReceiver.StartAsync();
        await using var late = await LoopbackReceiver.StartAsync();
        var gateA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gateB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slowA.Answer(new PlannedAnswer(200, Gate: gateA.Task));
        slowB.Answer(new PlannedAnswer(200, Gate: gateB.Task));
        using var portal = new Portal(maxConcurrency: 1, leaseMargin: TimeSpan.FromSeconds(1));
        var hookA = await portal.CreateWebhookAsync(slowA.Url());
        var hookB = await portal.CreateWebhookAsync(slowB.Url());
        var lateHook = await portal.CreateWebhookAsync(late.Url());

        // In this order for the slot (its waiters are served first come, first served): A, then B, then the late one.
        await PublishAsync(portal, hookA, slowA, 1);
        await slowA.WaitForAsync(1, TimeSpan.FromSeconds(30));
        var aStarted = DateTime.UtcNow;
        await PublishAsync(portal, hookB, slowB, 1);
        await Eventually.TrueAsync(async () => await portal.WithDbAsync(db => db.Deliveries.AnyAsync(d => d.TargetId == hookB.Id && d.LeaseUntilUtc != null)), "B claimed", TimeSpan.FromSeconds(5));
        await PublishAsync(portal, lateHook, late, 1);
        var waiting = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.TargetId == lateHook.Id));
        await Eventually.TrueAsync(async () => await portal.WithDbAsync(db => db.Deliveries.AnyAsync(d => d.Id == waiting.Id && d.LeaseUntilUtc != null)), "the late one claimed", TimeSpan.FromSeconds(5));
        var firstLease = await portal.WithDbAsync(db => db.Deliveries.Where(d => d.Id == waiting.Id).Select(d => d.LeaseUntilUtc!.Value).SingleAsync());

        // A answers 8 s into its attempt (2 s inside its read timeout); B then holds the slot past the late one's lease.
        await DelayUntilAsync(aStarted.AddSeconds(8));
        gateA.SetResult();
        await slowB.WaitForAsync(1, TimeSpan.FromSeconds(30));
        await DelayUntilAsync(firstLease.AddMilliseconds(300));

        // The lease has run out while the late one still waits for the slot; another instance claims it.
        Assert.Empty(late.Requests);
        var stolen = await portal.WithDbAsync(db => AttemptRecorder.ClaimDirectAsync(db, waiting.Id, DateTime.UtcNow, DateTime.UtcNow.AddMinutes(5)));
        Assert.Equal(1, stolen);
        gateB.SetResult();

        // B recorded, and the late one has had the slot and left this portal (not sent, or sent: both leave it).
        var dispatcher = portal.Services.GetRequiredService<DeliveryDispatcher>();
        await Eventually.TrueAsync(
            async () => dispatcher.InFlight == 0 && await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == hookB.Id && d.State == DeliveryState.Delivered)) == 1,
            "B recorded and nothing left in this portal's lanes", TimeSpan.FromSeconds(20));

        Assert.Empty(late.Requests);
        var after = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == waiting.Id));
        Assert.Equal(DeliveryState.Pending, after.State);
        Assert.Equal(2, after.AttemptCount); // this portal's claim counts (as a crashed instance's would) and the other instance's
    }

    /// <summary>The two portals' database directory, once both are disposed (SQLite's pool would keep the file open).</summary>
    private static void DeleteDirectory(string directory)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task DelayUntilAsync(DateTime utc)
    {
        var wait = utc - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    private static async Task PublishAsync(PortalFactory portal, TestWebhook webhook, LoopbackReceiver receiver, int count)
    {
        // One commit, one hand-over: the whole backlog reaches the lane at once.
        await using var scope = portal.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().PublishAsync(webhook.IntegrationId, "usage.threshold", """{"n":1}""",
            [.. Enumerable.Range(0, count).Select(_ => new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, "hook", receiver.Url()))]);
    }
}
