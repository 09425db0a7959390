using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

public sealed class DeliveryRestartTests
{
    [Fact]
    public async Task A_retry_due_after_a_restart_still_happens_exactly_once()
    {
        var directory = Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500));
        receiver.Default = new PlannedAnswer(200);
        Guid webhookId;
        try
        {
            using (var first = new DeliveryPortalFactory(directory, TimeSpan.FromSeconds(4)))
            {
                var integrationId = await first.CreateIntegrationAsync("restart-org");
                var created = await (await first.AsAdmin().PostAsJsonAsync("/v1/mint/organizations/restart-org/webhooks", new { name = "r", postURL = receiver.Url() })).ReadJsonAsync(HttpStatusCode.Created);
                webhookId = created.GetProperty("id").GetGuid();
                await (await first.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/messages", new { eventType = "e", payload = new { n = 1 } })).ReadJsonAsync(HttpStatusCode.Accepted);
                await receiver.WaitForAsync(1);

                // The first attempt failed; its retry sits in this process's in-memory Hangfire queue, which dies now.
            }

            Assert.Single(receiver.Requests);
            using var second = new DeliveryPortalFactory(directory, TimeSpan.FromSeconds(4));
            _ = second.Services;

            var requests = await receiver.WaitForAsync(2, TimeSpan.FromSeconds(20));
            // Delivered is final: once it is recorded no further attempt can be claimed.
            await second.WaitForDeliveryAsync(webhookId, DeliveryState.Delivered);
            Assert.Equal(2, receiver.Requests.Count);
            Assert.Equal(requests[0].Headers["webhook-id"], requests[1].Headers["webhook-id"]);
            var delivery = await second.WithDbAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.TargetId == webhookId));
            Assert.Equal(DeliveryState.Delivered, delivery.State);
            Assert.Equal(2, delivery.AttemptCount);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
