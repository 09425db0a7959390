using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// Publishing through the group commit (<see cref="PublishWriter"/>): a 202 means the message and its deliveries are
/// committed, each publish is stored and delivered once, a bad publish fails only its own caller, and stopping writes
/// what was queued and refuses the rest.
/// </summary>
public sealed class PublishWriterTests(PublishWriterTests.Portal portal) : IClassFixture<PublishWriterTests.Portal>
{
    /// <summary>The delivery portal with patient timeouts: these tests count deliveries, not retries, and run on loaded machines.</summary>
    public sealed class Portal : DeliveryPortalFactory
    {
        protected override void ConfigurePortal(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.UseSetting("Delivery:ConnectTimeout", "00:00:10");
            builder.UseSetting("Delivery:ReadTimeout", "00:00:10");
        }
    }

    [Fact]
    public async Task Concurrent_publishes_are_each_answered_202_with_their_own_id_stored_once_and_delivered_once()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var client = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Admin));
        const int count = 120;

        var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            using var response = await client.PostAsync($"/api/integrations/{webhook.IntegrationId}/messages",
                new StringContent($$$"""{"eventType":"order.created","payload":{"n":{{{i}}}}}""", Encoding.UTF8, "application/json"));
            var id = (await response.ReadJsonAsync(HttpStatusCode.Accepted)).GetProperty("id").GetGuid();

            // Read right after the 202: the message and its delivery are already committed.
            var stored = await portal.WithDbAsync(async db => (
                Message: await db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id),
                Deliveries: await db.Deliveries.AsNoTracking().CountAsync(d => d.MessageId == id)));
            Assert.NotNull(stored.Message);
            Assert.Equal($$$"""{"n":{{{i}}}}""", stored.Message.Payload);
            Assert.Equal(1, stored.Deliveries);
            return id;
        }));

        Assert.Equal(count, ids.Distinct().Count());
        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id && d.State == DeliveryState.Delivered)) == count,
            "every delivery delivered", TimeSpan.FromSeconds(90));
        // Every message reached the receiver. Delivery is at least once: an attempt whose answer came after the read
        // timeout (1 s here, on a loaded machine) is sent again with the same webhook-id, so compare the distinct ids.
        var received = await receiver.WaitForAsync(count);
        Assert.Equal(ids.Select(id => "msg_" + id.ToString("N")).Order(), received.Select(r => r.Headers["webhook-id"]).Distinct().Order());
        var perMessage = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == webhook.Id).GroupBy(d => d.MessageId).Select(g => g.Count()).ToListAsync());
        Assert.All(perMessage, n => Assert.Equal(1, n));
        Assert.Equal(count, perMessage.Count);
    }

    [Fact]
    public async Task A_publish_that_cannot_be_stored_fails_only_its_own_caller_in_the_batch()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var existing = await portal.WithDbAsync(async db =>
        {
            var message = new Message { Id = Guid.NewGuid(), IntegrationId = webhook.IntegrationId, EventType = "seed", Payload = "{}", CreatedUtc = DateTime.UtcNow };
            db.Messages.Add(message);
            await db.SaveChangesAsync();
            return message.Id;
        });

        // A writer of its own, not started yet: every publish below waits in its queue and the first batch holds them all.
        var writer = ActivatorUtilities.CreateInstance<PublishWriter>(portal.Services);
        var good = Enumerable.Range(0, 5).Select(_ => Staged(webhook, Guid.NewGuid(), receiver.Url())).ToList();
        var bad = Staged(webhook, existing, receiver.Url()); // the same primary key as a stored message
        var goodTasks = good.Take(2).Select(s => writer.PublishAsync(s.Message, s.Deliveries)).ToList();
        var badTask = writer.PublishAsync(bad.Message, bad.Deliveries);
        goodTasks.AddRange(good.Skip(2).Select(s => writer.PublishAsync(s.Message, s.Deliveries)));
        Assert.All(goodTasks, t => Assert.False(t.IsCompleted));

        await writer.StartAsync(CancellationToken.None);
        await Task.WhenAll(goodTasks);
        await Assert.ThrowsAnyAsync<Exception>(() => badTask);
        await writer.StopAsync(CancellationToken.None);

        var goodIds = good.Select(s => s.Message.Id).ToList();
        Assert.Equal(5, await portal.WithDbAsync(db => db.Messages.CountAsync(m => goodIds.Contains(m.Id))));
        Assert.Equal(5, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => goodIds.Contains(d.MessageId))));
        Assert.Equal("seed", await portal.WithDbAsync(db => db.Messages.Where(m => m.Id == existing).Select(m => m.EventType).SingleAsync()));
        Assert.Equal(0, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.MessageId == existing)));
        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => goodIds.Contains(d.MessageId) && d.State == DeliveryState.Delivered)) == 5,
            "the good publishes delivered", TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task Stopping_writes_every_queued_publish_then_refuses_new_ones_with_503()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var writer = ActivatorUtilities.CreateInstance<PublishWriter>(portal.Services);
        var staged = Enumerable.Range(0, 40).Select(_ => Staged(webhook, Guid.NewGuid(), receiver.Url())).ToList();
        var queued = staged.Select(s => writer.PublishAsync(s.Message, s.Deliveries)).ToList();

        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);

        // Every publish queued before the stop was committed before the writer ended, and its caller answered.
        var ids = staged.Select(s => s.Message.Id).ToList();
        Assert.Equal(40, await portal.WithDbAsync(db => db.Messages.CountAsync(m => ids.Contains(m.Id))));
        Assert.Equal(40, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => ids.Contains(d.MessageId))));
        await Task.WhenAll(queued);

        var late = Staged(webhook, Guid.NewGuid(), receiver.Url());
        var refused = await Assert.ThrowsAsync<UnavailableException>(() => writer.PublishAsync(late.Message, late.Deliveries));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, refused.StatusCode);
        Assert.False(await portal.WithDbAsync(db => db.Messages.AnyAsync(m => m.Id == late.Message.Id)));
    }

    private static (Message Message, List<Delivery> Deliveries) Staged(TestWebhook webhook, Guid messageId, string url)
    {
        var now = DateTime.UtcNow;
        var message = new Message { Id = messageId, IntegrationId = webhook.IntegrationId, EventType = "order.created", Payload = """{"n":1}""", CreatedUtc = now };
        var delivery = DeliveryOutbox.NewDelivery(messageId, new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, "hook", url), now);
        return (message, [delivery]);
    }
}
