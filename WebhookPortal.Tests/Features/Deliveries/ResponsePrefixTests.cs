using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// An attempt logs the first 4 KB of the receiver's answer (Delivery:MaxResponseBodyBytes), read into a pooled buffer:
/// a longer answer is cut there, and the next attempt's shorter answer is logged whole, with nothing of the one before.
/// </summary>
public sealed class ResponsePrefixTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    [Fact]
    public async Task A_long_answer_is_logged_up_to_4_KB_and_a_short_one_after_it_whole()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var longAnswer = string.Concat(Enumerable.Range(0, 1_000).Select(i => $"{i:D4}-")); // 5,000 characters, no repeats
        receiver.Answer(new PlannedAnswer(200, Body: longAnswer), new PlannedAnswer(200, Body: "ok"));
        var webhook = await portal.CreateWebhookAsync(receiver.Url());

        await portal.PublishAsync(webhook.IntegrationId);
        var first = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered);
        await portal.PublishAsync(webhook.IntegrationId, """{"n":2}""");
        var second = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Delivered);

        Assert.NotEqual(first.Id, second.Id);
        var bodies = await portal.WithDbAsync(db => db.LogEntries.AsNoTracking()
            .Where(e => e.DeliveryId == first.Id || e.DeliveryId == second.Id)
            .Select(e => new { e.DeliveryId, e.ResponseBody })
            .ToListAsync());
        Assert.Equal(longAnswer[..4096], Assert.Single(bodies, b => b.DeliveryId == first.Id).ResponseBody);
        Assert.Equal("ok", Assert.Single(bodies, b => b.DeliveryId == second.Id).ResponseBody);
    }
}
