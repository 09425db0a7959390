using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>A portal whose receivers may take 15 s to answer, and at most 2 attempts at once to one receiver.</summary>
public sealed class DeliveryIsolationPortalFactory : DeliveryPortalFactory
{
    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        base.ConfigurePortal(builder);
        builder.UseSetting("Delivery:ReadTimeout", "00:00:15");
        builder.UseSetting("Delivery:MaxConcurrencyPerTarget", "2");
    }
}

/// <summary>A slow receiver fills only its own lane: deliveries to other receivers keep flowing (issue 16, isolation).</summary>
public sealed class DeliveryIsolationTests(DeliveryIsolationPortalFactory portal) : IClassFixture<DeliveryIsolationPortalFactory>
{
    [Fact]
    public async Task A_slow_receiver_neither_delays_a_fast_one_nor_gets_more_than_its_lane()
    {
        await using var slow = await LoopbackReceiver.StartAsync();
        slow.Default = new PlannedAnswer(200, TimeSpan.FromSeconds(12));
        await using var fast = await LoopbackReceiver.StartAsync();
        var slowHook = await portal.CreateWebhookAsync(slow.Url());
        var fastHook = await portal.CreateWebhookAsync(fast.Url());

        // The slow receiver's messages go first: with attempts on Hangfire's 4 shared workers they took every worker.
        for (var i = 0; i < 12; i++)
        {
            await portal.PublishAsync(slowHook.IntegrationId, $$"""{"n":{{i}}}""");
        }

        for (var i = 0; i < 12; i++)
        {
            await portal.PublishAsync(fastHook.IntegrationId, $$"""{"n":{{i}}}""");
        }

        await fast.WaitForAsync(12, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == fastHook.Id && d.State == DeliveryState.Delivered)) == 12, "the fast receiver's 12 deliveries recorded as delivered", TimeSpan.FromSeconds(30));

        // Every fast delivery is done before the slow receiver has answered once.
        Assert.Equal(0, slow.Answered);
        Assert.Equal(0, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == slowHook.Id && d.State != DeliveryState.Pending)));
        Assert.Equal(2, slow.MaxConcurrent);
        Assert.Equal(2, slow.Requests.Count);
    }

    [Fact]
    public async Task A_delivery_handed_over_again_while_it_waits_in_its_lane_is_attempted_once()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Default = new PlannedAnswer(200, TimeSpan.FromSeconds(1));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        await portal.PublishAsync(webhook.IntegrationId);
        var delivery = await portal.WithDbAsync(db => db.Deliveries.SingleAsync(d => d.TargetId == webhook.Id));
        var dispatcher = portal.Services.GetRequiredService<DeliveryDispatcher>();

        // The sweep (or a second instance's job) hands the same delivery over again while it is in flight.
        for (var i = 0; i < 5; i++)
        {
            dispatcher.Queue(delivery.Id, webhook.Id);
        }

        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => dispatcher.InFlight == 0, "the lanes to empty");
        Assert.Single(receiver.Requests);
        Assert.Equal(1, (await portal.WithDbAsync(db => db.Deliveries.SingleAsync(d => d.Id == delivery.Id))).AttemptCount);
    }
}
