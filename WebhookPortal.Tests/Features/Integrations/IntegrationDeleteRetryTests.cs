using System.Net;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Integrations;

/// <summary>
/// Deleting an integration cancels its webhooks' pending deliveries, which on PostgreSQL can deadlock with an attempt
/// recording a failure (the same rows locked the other way round): the database cancels the delete with a transient
/// error, and the whole delete runs again on a fresh transaction, leaving nothing twice and nothing half done.
/// </summary>
public sealed class IntegrationDeleteRetryTests
{
    [Fact]
    public async Task A_delete_cancelled_once_by_a_transient_database_error_runs_again_whole()
    {
        var deadlock = new TransientFailureInjector("DELETE FROM \"Webhooks\"");
        await using var portal = new TransientFailurePortal(deadlock);
        var webhook = await portal.CreateWebhookAsync("https://hooks.example.invalid/h");
        await portal.PublishAsync(webhook.IntegrationId);

        var response = await portal.AsAdmin().DeleteAsync($"/api/integrations/{webhook.IntegrationId}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(1, deadlock.Thrown);
        Assert.False(await portal.WithDbAsync(db => db.Integrations.AnyAsync(i => i.Id == webhook.IntegrationId)));
        Assert.False(await portal.WithDbAsync(db => db.Webhooks.AnyAsync(w => w.Id == webhook.Id)));
        // The run that was cancelled left nothing: one audit entry for the webhook's removal, its delivery cancelled once.
        var id = webhook.Id.ToString();
        Assert.Equal(1, await portal.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.ResourceId == id && e.Action.EndsWith("deleted"))));
        var delivery = Assert.Single(await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.TargetId == webhook.Id).ToListAsync()));
        Assert.Equal(WebhookPortal.Features.Deliveries.DeliveryState.Cancelled, delivery.State);
    }

    [Fact]
    public async Task A_delete_the_database_keeps_cancelling_answers_an_error_and_changes_nothing()
    {
        var deadlock = new TransientFailureInjector("DELETE FROM \"Webhooks\"", times: int.MaxValue);
        await using var portal = new TransientFailurePortal(deadlock);
        var webhook = await portal.CreateWebhookAsync("https://hooks.example.invalid/h");

        var response = await portal.AsAdmin().DeleteAsync($"/api/integrations/{webhook.IntegrationId}");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(3, deadlock.Thrown);
        Assert.True(await portal.WithDbAsync(db => db.Integrations.AnyAsync(i => i.Id == webhook.IntegrationId)));
        Assert.True(await portal.WithDbAsync(db => db.Webhooks.AnyAsync(w => w.Id == webhook.Id)));
        var id = webhook.Id.ToString();
        Assert.Equal(0, await portal.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.ResourceId == id && e.Action.EndsWith("deleted"))));
    }
}

/// <summary>A listener's delete (its tables, event types and their subscriptions' deliveries) runs again the same way.</summary>
public sealed class ListenerDeleteRetryTests
{
    [Fact]
    public async Task A_listener_delete_cancelled_once_by_a_transient_database_error_runs_again_whole()
    {
        var deadlock = new TransientFailureInjector("DELETE FROM \"Listeners\"");
        await using var portal = new TransientFailurePortal(deadlock);
        var listener = await portal.CreateListenerAsync();

        var response = await portal.AsAdmin().DeleteAsync($"/api/listeners/{listener.Id}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(1, deadlock.Thrown);
        Assert.False(await portal.WithDbAsync(db => db.Listeners.AnyAsync(l => l.Id == listener.Id)));
        var id = listener.Id.ToString();
        // The cancelled run left nothing: the listener's removal (and its table's) audited once each.
        Assert.Equal(["listener.deleted", "table.deleted"], (await portal.WithDbAsync(db => db.AuditEntries.Where(e => e.ResourceId == id && e.Action.EndsWith("deleted")).Select(e => e.Action).ToListAsync())).Order());
        // Its URL is gone at once: the receiver's cached listener was dropped.
        Assert.Equal(HttpStatusCode.NotFound, (await portal.CreateClient().PostAsync(listener.HookPath, new StringContent("{}"))).StatusCode);
    }
}
