using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// The worker sends through the target registered for a delivery's kind and tells it the outcome; a kind nobody
/// registered is cancelled, never sent.
/// </summary>
public sealed class DeliveryTargetResolutionTests
{
    /// <summary>The kind the probe takes over from the Webhooks feature's own target.</summary>
    private const DeliveryTargetKind ProbeKind = DeliveryTargetKind.Webhook;

    /// <summary>A target of the test's own: sends to the loopback receiver with a header, records the outcomes it is told.</summary>
    private sealed class ProbeTarget(ProbeState state) : IDeliveryTarget
    {
        public DeliveryTargetKind Kind => ProbeKind;

        public Task<ResolvedTarget?> ResolveAsync(PortalDbContext db, Delivery delivery, CancellationToken ct) =>
            Task.FromResult<ResolvedTarget?>(new ResolvedTarget("probe target", "whsec_cHJvYmUtc2VjcmV0LXByb2JlLXNlY3JldA==", new Dictionary<string, string> { ["X-Probe"] = "yes" }, SendUrl: state.Url));

        public Task<string?> AfterAttemptAsync(PortalDbContext db, Delivery delivery, AttemptOutcome outcome, CancellationToken ct)
        {
            state.Outcomes.Add(outcome.Status);
            return Task.FromResult<string?>(outcome.Status == 418 ? "the probe refuses teapots" : null);
        }
    }

    private sealed class ProbeState
    {
        public string Url = "";
        public readonly System.Collections.Concurrent.ConcurrentBag<int?> Outcomes = [];
    }

    private sealed class ProbePortal(ProbeState state) : DeliveryPortalFactory
    {
        protected override bool SweepsPendingDeliveries => false;

        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.ConfigureTestServices(s =>
            {
                s.RemoveAll<IDeliveryTarget>();
                s.AddScoped<IDeliveryTarget>(_ => new ProbeTarget(state));
            });
        }
    }

    /// <summary>A portal where the Jobs feature registered no delivery target.</summary>
    private sealed class NoJobTargetPortal : DeliveryPortalFactory
    {
        protected override bool SweepsPendingDeliveries => false;

        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.ConfigureTestServices(s =>
            {
                foreach (var registration in s.Where(d => d.ImplementationType == typeof(WebhookPortal.Features.Jobs.JobCallbackDeliveryTarget)).ToList())
                {
                    s.Remove(registration);
                }
            });
        }
    }

    private static async Task<Guid> StageAsync(PortalFactory portal, DeliveryTargetKind kind, string url)
    {
        var delivery = await portal.WithDbAsync(async db =>
        {
            var message = new Message { Id = Guid.NewGuid(), EventType = "probe.sent", Payload = """{"n":1}""", CreatedUtc = DateTime.UtcNow };
            var staged = new Delivery
            {
                Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = kind, TargetId = Guid.NewGuid(), TargetName = "t", Url = url,
                NextAttemptUtc = DateTime.UtcNow.AddSeconds(-1), CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
            };
            db.Messages.Add(message);
            db.Deliveries.Add(staged);
            await db.SaveChangesAsync();
            return staged;
        });
        return delivery.Id;
    }

    private static async Task AttemptAsync(PortalFactory portal, Guid deliveryId)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DeliveryWorker>().AttemptAsync(deliveryId);
    }

    [Fact]
    public async Task A_registered_kind_is_sent_where_its_target_says_and_told_the_outcome()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(418));
        var state = new ProbeState { Url = receiver.BaseUrl + "/probe" };
        await using var portal = new ProbePortal(state);
        _ = portal.Server;

        var id = await StageAsync(portal, ProbeKind, "http://127.0.0.1:9/not-this-one");
        await AttemptAsync(portal, id);

        var request = Assert.Single(receiver.Requests);
        Assert.Equal("/probe", request.PathAndQuery);
        Assert.Equal("yes", request.Headers["X-Probe"]);
        Assert.StartsWith("v1,", request.Headers["webhook-signature"]);
        Assert.Equal([418], state.Outcomes);
        var stored = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == id));
        Assert.Equal(418, stored.LastStatus);
        Assert.Equal("the probe refuses teapots", stored.LastError);
    }

    [Fact]
    public async Task A_kind_nobody_registered_is_cancelled_and_never_sent()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        await using var portal = new NoJobTargetPortal();
        _ = portal.Server;

        var id = await StageAsync(portal, DeliveryTargetKind.Job, receiver.BaseUrl + "/never");
        await AttemptAsync(portal, id);

        var stored = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == id));
        Assert.Equal(DeliveryState.Cancelled, stored.State);
        Assert.Empty(receiver.Requests);
    }
}
