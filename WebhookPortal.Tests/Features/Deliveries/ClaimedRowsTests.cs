using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A lane's runner reads its share's rows with the share's claim, in one statement, and each attempt uses them instead
/// of a read of its own while they are recent (issue 17, publish and drain: the attempt's read was the largest part
/// of the portal's CPU beside the sending).
/// </summary>
public sealed class ClaimedRowsTests
{
    [Fact]
    public async Task A_backlog_is_sent_with_one_read_per_claimed_share_not_one_per_attempt_and_each_delivery_goes_once()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var statements = new RecordedStatements();
        await using var portal = new StatementsPortal(statements, sweeps: true, maxConcurrencyPerTarget: 1);
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        const int count = 16;

        await using (var scope = portal.Services.CreateAsyncScope())
        {
            // One commit, one hand-over: the backlog reaches the lane at once, in shares of DeliveryDispatcher.ClaimAhead.
            await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().PublishAsync(webhook.IntegrationId, "usage.threshold", """{"n":1}""",
                [.. Enumerable.Range(0, count).Select(_ => new DeliveryRequest(DeliveryTargetKind.Webhook, webhook.Id, "hook", receiver.Url()))]);
        }

        await receiver.WaitForAsync(count);
        var deliveries = await WaitAsync(portal, count);

        Assert.All(deliveries, d => Assert.Equal((DeliveryState.Delivered, 1), (d.State, d.AttemptCount)));
        Assert.Equal(count, receiver.Requests.Count);
        var logged = await portal.WithDbAsync(db => db.LogEntries.AsNoTracking().CountAsync(e => e.Direction == LogDirection.Outbound && e.DeliveryId != null));
        Assert.Equal(count, logged);
        // Every read of a delivery with its message: the shares' reads (by a list of ids), no attempt's own (by one id).
        var reads = statements.All().Where(t => t.Contains("FROM \"Deliveries\"", StringComparison.Ordinal) && t.Contains("\"Messages\"", StringComparison.Ordinal)).ToList();
        Assert.InRange(reads.Count, 1, count / DeliveryDispatcher.ClaimAhead + 2);
    }

    [Fact]
    public async Task A_claim_reads_only_what_it_won_as_the_claim_left_it()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        await using var portal = new StatementsPortal(new RecordedStatements(), sweeps: false, maxConcurrencyPerTarget: 1);
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var due = await AddDeliveryAsync(portal, webhook, receiver.Url(), DateTime.UtcNow.AddSeconds(-1));
        var notDue = await AddDeliveryAsync(portal, webhook, receiver.Url(), DateTime.UtcNow.AddHours(1));
        var now = DateTime.UtcNow;
        var lease = new DateTime(now.AddMinutes(1).Ticks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

        var (won, rows) = await portal.Services.GetRequiredService<AttemptRecorder>().ClaimAndReadAsync([due, notDue], now, lease);

        Assert.Equal([due], won);
        var row = Assert.Single(rows.Values);
        Assert.Equal(due, row.Delivery.Id);
        Assert.Equal((lease, 1), (row.Delivery.LeaseUntilUtc, row.Delivery.AttemptCount));
        Assert.Equal("""{"n":1}""", row.Delivery.Message?.Payload);
        Assert.Equal(webhook.Id, row.Webhook?.Id);
        Assert.Equal(now, row.ReadAtUtc);
    }

    [Fact]
    public async Task An_attempt_uses_recent_claimed_rows_without_reading_and_reads_again_when_they_are_older()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var statements = new RecordedStatements();
        await using var portal = new StatementsPortal(statements, sweeps: false, maxConcurrencyPerTarget: 1);
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var recent = await AddDeliveryAsync(portal, webhook, receiver.Url(), DateTime.UtcNow.AddSeconds(-1));
        var old = await AddDeliveryAsync(portal, webhook, receiver.Url(), DateTime.UtcNow.AddSeconds(-1));
        var rows = await ClaimAndReadAsync(portal, [recent, old], attempts: 2);
        // The webhook moves after the claim read it: an attempt that reads again sends to the new address.
        await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.PostUrl, receiver.Url("/moved"))));

        var recentReads = await AttemptAsync(portal, statements, recent, rows[recent]);
        var oldReads = await AttemptAsync(portal, statements, old, rows[old] with { ReadAtUtc = rows[old].ReadAtUtc - DeliveryWorker.ClaimedRowsFreshness - TimeSpan.FromSeconds(1) });

        Assert.Equal(0, recentReads);
        Assert.Equal(1, oldReads);
        Assert.Equal(["/hook", "/moved"], receiver.Requests.Select(r => r.PathAndQuery));
        var stored = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.Id == recent || d.Id == old).ToListAsync());
        Assert.All(stored, d => Assert.Equal((DeliveryState.Delivered, 1, (DateTime?)null), (d.State, d.AttemptCount, d.LeaseUntilUtc)));
        Assert.Equal(receiver.Url("/moved"), stored.Single(d => d.Id == old).Url);
        var logged = await portal.WithDbAsync(db => db.LogEntries.AsNoTracking().Where(e => e.DeliveryId == recent || e.DeliveryId == old).CountAsync());
        Assert.Equal(2, logged);
    }

    [Fact]
    public async Task Once_an_attempt_of_the_share_fails_its_later_attempts_read_the_webhook_again()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500));
        var statements = new RecordedStatements();
        await using var portal = new StatementsPortal(statements, sweeps: false, maxConcurrencyPerTarget: 1);
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var first = await AddDeliveryAsync(portal, webhook, receiver.Url(), DateTime.UtcNow.AddSeconds(-1));
        var second = await AddDeliveryAsync(portal, webhook, receiver.Url(), DateTime.UtcNow.AddSeconds(-1));
        var rows = await ClaimAndReadAsync(portal, [first, second], attempts: 2);

        var firstReads = await AttemptAsync(portal, statements, first, rows[first]);
        var secondReads = await AttemptAsync(portal, statements, second, rows[second]);

        // The failure made the webhook failing after the claim read it healthy: the second attempt saw that, not the claim's copy.
        Assert.Equal(0, firstReads);
        Assert.Equal(1, secondReads);
        Assert.True(rows[second].Share.TargetMayHaveChanged);
        Assert.NotNull(await portal.WithDbAsync(db => db.Webhooks.AsNoTracking().Where(w => w.Id == webhook.Id).Select(w => w.FailingSinceUtc).SingleAsync()));
    }

    [Fact]
    public async Task Rows_of_a_webhook_that_was_failing_when_the_claim_read_it_are_read_again()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var statements = new RecordedStatements();
        await using var portal = new StatementsPortal(statements, sweeps: false, maxConcurrencyPerTarget: 1);
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var deliveryId = await AddDeliveryAsync(portal, webhook, receiver.Url(), DateTime.UtcNow.AddSeconds(-1));
        await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.FailingSinceUtc, DateTime.UtcNow.AddMinutes(-1)).SetProperty(w => w.ProbeAfterUtc, DateTime.UtcNow.AddMinutes(-1))));
        var rows = await ClaimAndReadAsync(portal, [deliveryId], attempts: 1);

        var reads = await AttemptAsync(portal, statements, deliveryId, rows[deliveryId]);

        Assert.Equal(1, reads);
        // Its probe went through and made the webhook healthy again.
        Assert.Single(receiver.Requests);
        Assert.Null(await portal.WithDbAsync(db => db.Webhooks.AsNoTracking().Where(w => w.Id == webhook.Id).Select(w => w.FailingSinceUtc).SingleAsync()));
    }

    /// <summary>Runs one claimed attempt to its commit; answers how many reads of its delivery its context ran.</summary>
    /// <summary>A share claimed (as the runner claims it) and read now, with the lease of its <paramref name="attempts"/>th attempt.</summary>
    private static async Task<IReadOnlyDictionary<Guid, ClaimedRows>> ClaimAndReadAsync(PortalFactory portal, Guid[] ids, int attempts)
    {
        var now = DateTime.UtcNow;
        var (_, rows) = await portal.Services.GetRequiredService<AttemptRecorder>().ClaimAndReadAsync(ids, now, DeliveryWorker.LeaseFrom(now, attempts, new DeliveryOptions()));
        return rows;
    }

    private static async Task<int> AttemptAsync(PortalFactory portal, RecordedStatements statements, Guid deliveryId, ClaimedRows rows)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        statements.Watch(db);
        await await scope.ServiceProvider.GetRequiredService<DeliveryWorker>().StartAsync(deliveryId, CancellationToken.None, claimed: true, rows);
        return statements.Of(db).Count(t => t.Contains("FROM \"Deliveries\"", StringComparison.Ordinal));
    }

    private static Task<Guid> AddDeliveryAsync(PortalFactory portal, TestWebhook webhook, string url, DateTime due) => portal.WithDbAsync(async db =>
    {
        var message = new Message { Id = Guid.NewGuid(), EventType = "usage.threshold", Payload = """{"n":1}""", IntegrationId = webhook.IntegrationId, CreatedUtc = DateTime.UtcNow };
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = webhook.Id, TargetName = "hook",
            Url = url, NextAttemptUtc = due, CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
        };
        db.Messages.Add(message);
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        return delivery.Id;
    });

    private static async Task<List<Delivery>> WaitAsync(PortalFactory portal, int count)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var deliveries = await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().ToListAsync());
            if (deliveries.Count(d => d.State == DeliveryState.Delivered) >= count || DateTime.UtcNow > until)
            {
                return deliveries;
            }

            await Task.Delay(50);
        }
    }
}
