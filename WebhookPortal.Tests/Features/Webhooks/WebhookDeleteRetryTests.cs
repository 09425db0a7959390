using System.Net;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>
/// Deleting a webhook while one of its attempts records a failure can deadlock on PostgreSQL (seen in CI as a 500): the
/// database cancels one transaction with a transient error, and the delete runs again instead of failing.
/// </summary>
public sealed class WebhookDeleteRetryTests
{
    [Fact]
    public async Task A_delete_cancelled_by_a_transient_database_error_runs_again_and_deletes()
    {
        var deadlock = new TransientFailureInjector("DELETE FROM \"Webhooks\"");
        await using var portal = new TransientFailurePortal(deadlock);
        var webhook = await portal.CreateWebhookAsync("https://hooks.example.invalid/h");

        var response = await portal.AsAdmin().DeleteAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}?forceDelete=true");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(1, deadlock.Thrown);
        Assert.False(await portal.WithDbAsync(db => db.Webhooks.AnyAsync(w => w.Id == webhook.Id)));
    }
}
