using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A webhook attempt reads its delivery, the message and the webhook in one statement: the webhook target finds the
/// webhook tracked instead of reading it again (issue 17, delivery drain).
/// </summary>
public sealed class AttemptReadTests
{
    [Fact]
    public async Task A_webhook_attempt_reads_its_delivery_message_and_webhook_in_one_statement_and_sends()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var commands = new RecordedStatements();
        await using var portal = new StatementsPortal(commands, sweeps: false);
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var deliveryId = await portal.WithDbAsync(async db =>
        {
            var message = new Message { Id = Guid.NewGuid(), EventType = "usage.threshold", Payload = """{"n":1}""", IntegrationId = webhook.IntegrationId, CreatedUtc = DateTime.UtcNow };
            var delivery = new Delivery
            {
                Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = webhook.Id, TargetName = "hook",
                Url = receiver.Url(), NextAttemptUtc = DateTime.UtcNow.AddSeconds(-1), CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
            };
            db.Messages.Add(message);
            db.Deliveries.Add(delivery);
            await db.SaveChangesAsync();
            return delivery.Id;
        });

        List<string> ran;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            commands.Watch(db);
            await scope.ServiceProvider.GetRequiredService<DeliveryWorker>().AttemptAsync(deliveryId);
            ran = commands.Of(db);
        }

        Assert.Single(receiver.Requests);
        var stored = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId));
        Assert.Equal(DeliveryState.Delivered, stored.State);
        var webhookReads = ran.Where(t => t.Contains("\"Webhooks\"", StringComparison.Ordinal)).ToList();
        var read = Assert.Single(webhookReads);
        Assert.Contains("FROM \"Deliveries\"", read, StringComparison.Ordinal);
        Assert.Contains("\"Messages\"", read, StringComparison.Ordinal);
    }
}
