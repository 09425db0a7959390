using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: a job's caller and whoever can read the portal's database or log. The callback's claim
/// secret (<c>?id=</c>) reaches only the callback's receiver: it is not stored in clear anywhere, yet the
/// receiver still gets it and it still trades for the download URL.
/// </summary>
public sealed class JobSecretTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    [Fact]
    public async Task The_callback_secret_is_in_no_stored_row_and_still_exchanges_for_the_download()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500)); // one retry, so two attempts are recorded
        var admin = portal.AsAdmin();

        var jobId = (await (await admin.PostAsJsonAsync("/api/backup", new { webhook_url = receiver.Url("/callback?tenant=acme") })).ReadJsonAsync(HttpStatusCode.Accepted))
            .GetProperty("jobId").GetGuid();
        var calls = await receiver.WaitForAsync(2);
        Assert.All(calls, c => Assert.StartsWith("/callback?tenant=acme&id=", c.PathAndQuery));
        Assert.Equal(calls[0].PathAndQuery, calls[1].PathAndQuery);
        var secret = System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + calls[0].PathAndQuery).Query)["id"]!;
        Assert.True(Guid.TryParse(secret, out _), "the secret is a UUID");
        var job = await portal.WaitForDeliveryAsync(jobId, DeliveryState.Delivered);

        var stored = await portal.WithDbAsync(async db => new
        {
            deliveries = await db.Deliveries.AsNoTracking().Where(d => d.TargetId == jobId).ToListAsync(),
            messages = await db.Messages.AsNoTracking().Where(m => m.Id == job.MessageId).ToListAsync(),
            logs = await db.LogEntries.AsNoTracking().Where(e => e.SourceId == jobId).ToListAsync(),
            jobs = await db.Jobs.AsNoTracking().Where(j => j.Id == jobId).ToListAsync(),
        });
        Assert.Single(stored.deliveries);
        Assert.Equal(2, stored.logs.Count);
        var everything = JsonSerializer.Serialize(stored);
        Assert.DoesNotContain(secret, everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(secret.Replace("-", "", StringComparison.Ordinal), everything, StringComparison.OrdinalIgnoreCase);
        Assert.All(stored.logs, e => Assert.EndsWith("/callback?tenant=acme&id=[redacted]", Uri.UnescapeDataString(e.Path)));

        // What Support reads about the attempts does not hold it either.
        var support = await portal.AsSupportAsync();
        Assert.DoesNotContain(secret, await (await support.GetAsync($"/api/deliveries/{job.Id}")).Content.ReadAsStringAsync());
        Assert.DoesNotContain(secret, await (await support.GetAsync($"/api/logs?name=job:{jobId}")).Content.ReadAsStringAsync());

        var claim = await (await admin.GetAsync($"/api/webhook?id={secret}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(jobId, claim.GetProperty("data").GetProperty("jobId").GetGuid());
        var download = await portal.Anonymous().GetAsync(new Uri(claim.GetProperty("data").GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        await (await admin.GetAsync($"/api/webhook?id={Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
