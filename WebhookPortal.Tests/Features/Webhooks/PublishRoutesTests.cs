using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>
/// Publish keeps each integration's enabled webhooks in memory (issue 17, publish): it reads them once, and every
/// change that decides where an event goes (a webhook created, changed, enabled, disabled by a person or by a failure,
/// deleted; the integration deleted) drops them, so the next publish goes exactly where the configuration says.
/// </summary>
public sealed class PublishRoutesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<List<string>> PublishAsync(Guid integrationId, string eventType = "order.created")
    {
        var published = await (await portal.AsAdmin().PostAsync($"/api/integrations/{integrationId}/messages", Body($$$"""{"eventType":"{{{eventType}}}","payload":{"id":1}}""")))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        var messageId = published.GetProperty("id").GetGuid();
        return await portal.WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.MessageId == messageId).Select(d => d.TargetName).OrderBy(n => n).ToListAsync());
    }

    /// <summary>
    /// On PostgreSQL a portal also hears its own signals, and drops every kept value when its listening connection comes
    /// up: both arrive after the change's answer. The CI saw one of them land between two publishes here, so the routes
    /// kept after it were read again. Waits until a signal sent now is heard (the earlier ones are handled by then).
    /// </summary>
    private async Task SignalsHeardAsync()
    {
        if (!portal.OnPostgres)
        {
            return;
        }

        var signals = portal.Services.GetRequiredService<WebhookPortal.Infrastructure.Database.IClusterSignals>();
        var topic = "test-" + Guid.NewGuid().ToString("N");
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        signals.Subscribe(topic, _ => heard.TrySetResult(), () => { });
        // Sent again until heard: one sent before the listening connection was up is lost.
        for (var i = 0; i < 100 && !heard.Task.IsCompleted; i++)
        {
            signals.Publish(topic, "marker");
            await Task.WhenAny(heard.Task, Task.Delay(200));
        }

        Assert.True(heard.Task.IsCompleted, "the portal heard its own signal within 20 s");
    }

    private async Task<Guid> CreateAsync(string org, string json) =>
        (await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks", Body(json))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

    [Fact]
    public async Task Publish_reads_the_routes_once_and_every_change_through_the_portal_is_seen_by_the_next_publish()
    {
        var org = "Routes-" + Guid.NewGuid().ToString("N")[..8];
        var integrationId = await portal.CreateIntegrationAsync(org);
        var admin = portal.AsAdmin();
        // example.invalid never resolves: only where the deliveries are addressed matters here.
        var a = await CreateAsync(org, """{"name":"a","postURL":"https://a.example.invalid/h","eventTypes":["order.created"]}""");
        await SignalsHeardAsync();
        Assert.Equal(["a"], await PublishAsync(integrationId));

        // Written behind the portal's back: publish does not see it while the routes are kept...
        await portal.WithDbAsync(async db =>
        {
            db.Webhooks.Add(new Webhook
            {
                Id = Guid.NewGuid(), IntegrationId = integrationId, Name = "behind", PostUrl = "https://behind.example.invalid/h", ProtectedSecret = "x",
                CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
            });
            return await db.SaveChangesAsync();
        });
        Assert.Equal(["a"], await PublishAsync(integrationId));

        // ...and a change through the portal drops them: the next publish reads both the change and that row.
        await (await admin.PutAsync($"/v1/mint/organizations/{org}/webhooks/{a}", Body("""{"eventTypes":["other"]}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["behind"], await PublishAsync(integrationId));
        Assert.Equal(["a", "behind"], await PublishAsync(integrationId, "other"));

        var c = await CreateAsync(org, """{"name":"c","postURL":"https://c.example.invalid/h"}""");
        Assert.Equal(["behind", "c"], await PublishAsync(integrationId));

        await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks/{c}", Body("""{"enabled":false}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["behind"], await PublishAsync(integrationId));
        await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks/{c}", Body("""{"enabled":true}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["behind", "c"], await PublishAsync(integrationId));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/mint/organizations/{org}/webhooks/{c}?forceDelete=true")).StatusCode);
        Assert.Equal(["behind"], await PublishAsync(integrationId));

        // The integration deleted: publish answers 404 and stores nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/integrations/{integrationId}")).StatusCode);
        var messages = await portal.WithDbAsync(db => db.Messages.CountAsync());
        await (await admin.PostAsync($"/api/integrations/{integrationId}/messages", Body("""{"eventType":"order.created","payload":{}}"""))).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(messages, await portal.WithDbAsync(db => db.Messages.CountAsync()));
    }

    [Fact]
    public async Task Another_portals_signal_or_the_expiry_drops_the_routes_unknown_integrations_are_not_kept_and_a_load_that_raced_a_change_is_not_kept()
    {
        var signals = new RecordingClusterSignals();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var dbFactory = portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var routes = new PublishRoutes(dbFactory, Options.Create(new WebhookOptions { PublishCacheDuration = TimeSpan.FromSeconds(30) }), clock, signals);
        var integrationId = await portal.CreateIntegrationAsync("Signal-" + Guid.NewGuid().ToString("N")[..8]);

        async Task AddBehindAsync(string name)
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            db.Webhooks.Add(new Webhook
            {
                Id = Guid.NewGuid(), IntegrationId = integrationId, Name = name, PostUrl = "https://x.example.invalid/h", ProtectedSecret = "x",
                CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        async Task<List<string>> NamesAsync() => (await routes.OfAsync(integrationId))!.Select(r => r.Name).Order().ToList();

        Assert.Null(await routes.OfAsync(Guid.NewGuid()));
        Assert.Equal(0, routes.CachedIntegrations);

        Assert.Empty(await NamesAsync());
        Assert.Equal(1, routes.CachedIntegrations);
        await AddBehindAsync("signal");
        Assert.Empty(await NamesAsync());
        signals.Subscribers["webhooks"].OnSignal("changed");
        Assert.Equal(["signal"], await NamesAsync());

        await AddBehindAsync("reset");
        signals.Subscribers["webhooks"].OnReset();
        Assert.Equal(["reset", "signal"], await NamesAsync());

        await AddBehindAsync("expiry");
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(["reset", "signal"], await NamesAsync());
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["expiry", "reset", "signal"], await NamesAsync());

        // This portal's own change tells the others.
        routes.Invalidate();
        Assert.Contains(("webhooks", "changed"), signals.Published);

        // A change signalled while a load is reading: that load's answer is not kept.
        var racing = routes.OfAsync(integrationId);
        signals.Subscribers["webhooks"].OnSignal("changed");
        await racing;
        await AddBehindAsync("race");
        Assert.Contains("race", await NamesAsync());

        // Kept for no time at all: every publish reads.
        var uncached = new PublishRoutes(dbFactory, Options.Create(new WebhookOptions { PublishCacheDuration = TimeSpan.Zero }), clock, new RecordingClusterSignals());
        Assert.NotNull(await uncached.OfAsync(integrationId));
        Assert.Equal(0, uncached.CachedIntegrations);
    }
}

/// <summary>A webhook disabled by the delivery engine (410 Gone) takes no further publishes, though publish had kept it as enabled.</summary>
public sealed class PublishRoutesAfterDisableTests
{
    [Fact]
    public async Task A_webhook_disabled_by_410_gets_no_delivery_from_the_next_publish()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Default = new PlannedAnswer(410);
        await using var portal = new DeliveryPortalFactory();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());

        await portal.PublishAsync(webhook.IntegrationId);
        await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Failed, TimeSpan.FromSeconds(30));
        Assert.False(await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == webhook.Id).Select(w => w.Enabled).SingleAsync()));

        await portal.PublishAsync(webhook.IntegrationId);
        Assert.Equal(2, await portal.WithDbAsync(db => db.Messages.CountAsync(m => m.IntegrationId == webhook.IntegrationId)));
        Assert.Equal(1, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhook.Id)));
        Assert.Single(receiver.Requests);
    }
}
