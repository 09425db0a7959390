using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>
/// A delivery told to wait behind a failing webhook's probe (or held by a disabled webhook) while the probe succeeds (or
/// the webhook is enabled): the release that follows runs while the delivery still holds its lease, so it passes the
/// delivery by. Seen in CI: a redelivery of two failed deliveries stayed "1 of 2 delivered, 1 pending" until the probe's
/// lease ran out. The interleaving is forced here by a webhook target that changes the webhook and runs the release
/// between the admission and its save.
/// </summary>
public sealed class WebhookReleaseRaceTests(WebhookReleaseRaceTests.RacePortal portal) : IClassFixture<WebhookReleaseRaceTests.RacePortal>
{
    /// <summary>
    /// Wait: told to wait behind the probe while the probe succeeds; without the re-check it waits for the probe's
    /// lease (a minute here). Hold: held while its webhook is enabled; without the re-check it stays held.
    /// </summary>
    /// <param name="recheckFails">
    /// The re-check itself fails (the database is briefly unavailable): whether the Wait or Hold still stands is unknown,
    /// so a release goes to Hangfire (retried until it runs). Without it a held delivery stayed held until the next
    /// enable (the sweep does not take held ones) and a waiting one waited out the probe's lease.
    /// </param>
    [Theory]
    [InlineData(AdmissionKind.Wait, false)]
    [InlineData(AdmissionKind.Hold, false)]
    [InlineData(AdmissionKind.Wait, true)]
    [InlineData(AdmissionKind.Hold, true)]
    public async Task A_delivery_kept_back_while_its_webhook_recovers_is_sent_at_once(AdmissionKind kept, bool recheckFails)
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        portal.Race.Arm(webhook.Id, kept, recheckFails);

        await portal.PublishAsync(webhook.IntegrationId);

        var delivered = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(15));
        Assert.True(portal.Race.Ran, "the race was forced");
        Assert.Equal(recheckFails, portal.Race.RecheckFailed);
        Assert.Equal(0, portal.Race.ReleasedDuringRace); // the recovery's own release passed the leased delivery by
        Assert.Equal(1, delivered.AttemptCount); // waiting or being held is not an attempt
        Assert.Single(receiver.Requests);
    }

    /// <summary>
    /// The re-check fails and so does queueing the release (on PostgreSQL Hangfire stores its jobs in the same database):
    /// the delivery is saved held behind an enabled webhook with nothing left to release it. The sweep releases held
    /// deliveries whose target no longer holds them. Before, the sweep took pending deliveries only: the delivery stayed
    /// held until the webhook was next disabled and enabled.
    /// </summary>
    [Fact]
    public async Task A_held_delivery_whose_release_could_not_be_queued_is_released_by_the_sweep()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        portal.Race.Arm(webhook.Id, AdmissionKind.Hold, failRecheck: true, failEnqueue: true);

        await portal.PublishAsync(webhook.IntegrationId);

        var held = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Held, TimeSpan.FromSeconds(15));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!portal.Race.EnqueueFailed && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20); // saved held first, then re-checked, then queued
        }

        Assert.True(portal.Race.EnqueueFailed, "queueing the release failed");

        // The sweep (Hangfire's minutely one may come first: either way, a sweep).

        await using (var scope = portal.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().SweepAsync();
        }

        var delivered = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(15));
        Assert.Equal(held.Id, delivered.Id);
        Assert.Equal(1, delivered.AttemptCount);
        Assert.Single(receiver.Requests);
    }

    /// <summary>A webhook still disabled keeps its held deliveries through the sweep.</summary>
    [Fact]
    public async Task The_sweep_leaves_the_held_deliveries_of_a_disabled_webhook_held()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        Guid heldId;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            // Disabled after its delivery was staged, which the worker then held (as an enable would find it).
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            await db.Webhooks.Where(w => w.Id == webhook.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.Enabled, false).SetProperty(w => w.DisabledUtc, DateTime.UtcNow));
            var (_, deliveries) = scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().Stage(db, webhook.IntegrationId, "usage.threshold", """{"n":1}""",
                [new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, "held", receiver.Url())]);
            deliveries[0].State = DeliveryState.Held;
            await db.SaveChangesAsync();
            heldId = deliveries[0].Id;
        }

        await using (var scope = portal.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().SweepAsync();
        }

        await Task.Delay(500);
        Assert.Equal(DeliveryState.Held, await StateOfAsync(heldId));
        Assert.Empty(receiver.Requests);

        // Enabled behind the sweep's back (no release): the next sweep sends it.
        await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.Enabled, true).SetProperty(w => w.DisabledUtc, (DateTime?)null)));
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().SweepAsync();
        }

        var delivered = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(15));
        Assert.Equal(heldId, delivered.Id);
        Assert.Single(receiver.Requests);
    }

    private async Task<DeliveryState> StateOfAsync(Guid deliveryId)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Deliveries.Where(d => d.Id == deliveryId).Select(d => d.State).SingleAsync();
    }

    /// <summary>Which webhook to race on, and what happened.</summary>
    public sealed class RaceState
    {
        private int armed;

        public Guid WebhookId { get; private set; }

        public AdmissionKind Kind { get; private set; }

        public bool Ran { get; set; }

        public int ReleasedDuringRace { get; set; } = -1;

        public bool FailRecheck { get; set; }

        public bool RecheckFailed { get; set; }

        public bool FailEnqueue { get; set; }

        public bool EnqueueFailed { get; set; }

        public void Arm(Guid webhookId, AdmissionKind kind, bool failRecheck, bool failEnqueue = false)
        {
            FailEnqueue = failEnqueue;
            EnqueueFailed = false;
            WebhookId = webhookId;
            Kind = kind;
            Ran = false;
            ReleasedDuringRace = -1;
            FailRecheck = failRecheck;
            RecheckFailed = false;
            Volatile.Write(ref armed, 1);
        }

        /// <summary>True once per arming, for the armed webhook's first admission.</summary>
        public bool Take(Guid webhookId) => webhookId == WebhookId && Interlocked.Exchange(ref armed, 0) == 1;
    }

    /// <summary>
    /// The real webhook target, except that its first admission after arming is raced: before it, the webhook turns
    /// failing with a probe under way (or disabled); after it, before the worker saves its answer, the probe succeeds
    /// (or the webhook is enabled) and the release runs, as another attempt (or a person) would do.
    /// </summary>
    private sealed class RacingWebhookTarget(WebhookDeliveryTarget inner, RaceState race, IServiceScopeFactory scopes) : IDeliveryTarget
    {
        public DeliveryTargetKind Kind => inner.Kind;

        public async Task<Admission> AdmitAsync(PortalDbContext db, Delivery delivery, CancellationToken ct)
        {
            if (!race.Take(delivery.TargetId))
            {
                return await inner.AdmitAsync(db, delivery, ct);
            }

            var now = DateTime.UtcNow;
            await ChangeWebhookAsync(webhooks => race.Kind == AdmissionKind.Hold
                ? webhooks.ExecuteUpdateAsync(s => s.SetProperty(w => w.Enabled, false).SetProperty(w => w.DisabledUtc, now))
                : webhooks.ExecuteUpdateAsync(s => s.SetProperty(w => w.FailingSinceUtc, now).SetProperty(w => w.ProbeAfterUtc, now.AddMinutes(1))));

            // The worker read the webhook with its delivery, before this change: let go of that row so that the admission
            // reads the webhook as changed, as if the change had come just before the worker's read.
            foreach (var entry in db.ChangeTracker.Entries<Webhook>().ToList())
            {
                entry.State = EntityState.Detached;
            }

            var admission = await inner.AdmitAsync(db, delivery, ct);
            Assert.Equal(race.Kind, admission.Kind);

            await ChangeWebhookAsync(webhooks => race.Kind == AdmissionKind.Hold
                ? webhooks.ExecuteUpdateAsync(s => s.SetProperty(w => w.Enabled, true).SetProperty(w => w.DisabledUtc, (DateTime?)null))
                : webhooks.ExecuteUpdateAsync(s => s.SetProperty(w => w.FailingSinceUtc, (DateTime?)null).SetProperty(w => w.ProbeAfterUtc, (DateTime?)null)));
            await using (var scope = scopes.CreateAsyncScope())
            {
                race.ReleasedDuringRace = await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().ReleaseAsync(DeliveryTargetKind.Webhook, delivery.TargetId, ct);
            }

            race.Ran = true;
            return admission;
        }

        public Task<bool> AdmissionStandsAsync(PortalDbContext db, Delivery delivery, Admission admission, CancellationToken ct)
        {
            if (delivery.TargetId == race.WebhookId && race.FailRecheck && !race.RecheckFailed)
            {
                race.RecheckFailed = true;
                throw new InvalidOperationException("The database is unavailable (simulated).");
            }

            return inner.AdmissionStandsAsync(db, delivery, admission, ct);
        }

        public Task<IReadOnlyList<Guid>> NoLongerHoldingAsync(PortalDbContext db, CancellationToken ct) => inner.NoLongerHoldingAsync(db, ct);

        public Task<ResolvedTarget?> ResolveAsync(PortalDbContext db, Delivery delivery, CancellationToken ct) => inner.ResolveAsync(db, delivery, ct);

        public Task<string?> AfterAttemptAsync(PortalDbContext db, Delivery delivery, AttemptOutcome outcome, CancellationToken ct) =>
            inner.AfterAttemptAsync(db, delivery, outcome, ct);

        private async Task ChangeWebhookAsync(Func<IQueryable<Webhook>, Task<int>> change)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            Assert.Equal(1, await change(db.Webhooks.Where(w => w.Id == race.WebhookId)));
        }
    }

    private sealed class FailingReleaseJobs(IBackgroundJobClient inner, RaceState race) : IBackgroundJobClient
    {
        public string Create(Job job, IState state)
        {
            if (race.FailEnqueue && job.Type == typeof(DeliveryOutbox) && job.Method.Name == nameof(DeliveryOutbox.ReleaseAsync))
            {
                race.EnqueueFailed = true;
                race.FailEnqueue = false; // once: later tests enqueue as usual
                throw new InvalidOperationException("Hangfire's storage is unavailable (simulated).");
            }

            return inner.Create(job, state);
        }

        public bool ChangeState(string jobId, IState state, string expectedState) => inner.ChangeState(jobId, state, expectedState);
    }

    public sealed class RacePortal : DeliveryPortalFactory
    {
        public RaceState Race { get; } = new();

        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.ConfigureTestServices(s =>
            {
                foreach (var registration in s.Where(d => d.ServiceType == typeof(IDeliveryTarget) && d.ImplementationType == typeof(WebhookDeliveryTarget)).ToList())
                {
                    s.Remove(registration);
                }

                s.AddScoped<IDeliveryTarget>(sp => new RacingWebhookTarget(ActivatorUtilities.CreateInstance<WebhookDeliveryTarget>(sp), Race, sp.GetRequiredService<IServiceScopeFactory>()));

                // Hangfire's client, except that queueing a release fails while armed to (its storage unreachable).
                var jobs = s.Last(d => d.ServiceType == typeof(IBackgroundJobClient));
                s.Remove(jobs);
                s.AddSingleton<IBackgroundJobClient>(sp => new FailingReleaseJobs(
                    (IBackgroundJobClient)(jobs.ImplementationInstance ?? jobs.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, jobs.ImplementationType!)),
                    Race));
            });
        }
    }
}
