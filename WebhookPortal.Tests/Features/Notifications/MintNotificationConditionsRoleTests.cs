using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Notifications;

/// <summary>Who may use each route of the mint notification-conditions API: the same rules as the mint webhooks API.</summary>
public sealed class MintNotificationConditionsRoleTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed record World(string Org, Guid IntegrationId, Guid WebhookId, Guid RuleId, string ListenerName)
    {
        public string Url => $"/v1/mint/organizations/{Org}/notification-conditions";
    }

    private async Task<World> WorldAsync()
    {
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var admin = portal.AsAdmin();
        var webhookId = (await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "usage", postURL = "https://usage.example.invalid/cb" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var ruleId = (await (await admin.PostAsync($"/v1/mint/organizations/{org}/notification-conditions", JsonText(Body(listener.Name, "%= 80", webhookId))))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        return new World(org, listener.IntegrationId, webhookId, ruleId, listener.Name);
    }

    private static StringContent JsonText(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Body(string ratePlan, string usageTarget, Guid webhookId) =>
        $$"""{"notificationCondition":[{"attribute":"RATEPLAN","value":"{{ratePlan}}"},{"attribute":"UsageTarget","value":"{{usageTarget}}"}],"actions":[{"actionAttribute":"WEBHOOK","value":"{{webhookId}}"}]}""";

    private Task<(int Count, string Name, string Conditions)> RulesAsync(World world) => portal.WithDbAsync(async db =>
    {
        var rule = await db.NotificationRules.AsNoTracking().SingleAsync(r => r.Id == world.RuleId);
        return (await db.NotificationRules.CountAsync(r => r.IntegrationId == world.IntegrationId), rule.Name, rule.ConditionsJson);
    });

    private static async Task<HttpStatusCode[]> EveryRouteAsync(HttpClient client, World world) =>
    [
        (await client.GetAsync(world.Url)).StatusCode,
        (await client.GetAsync($"{world.Url}/{world.RuleId}")).StatusCode,
        (await client.PostAsync(world.Url, JsonText(Body(world.ListenerName, "%= 50", world.WebhookId)))).StatusCode,
        (await client.PutAsync($"{world.Url}/{world.RuleId}", JsonText("""{"name":"changed","notificationCondition":[{"attribute":"UsageTarget","value":"%= 99"}]}"""))).StatusCode,
        (await client.DeleteAsync($"{world.Url}/{world.RuleId}")).StatusCode,
    ];

    [Fact]
    public async Task An_admin_may_use_every_route()
    {
        var world = await WorldAsync();

        var answers = await EveryRouteAsync(portal.AsAdmin(), world);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.NoContent], answers);
        // The one created by the POST is left; the first was changed, then deleted.
        var left = await portal.WithDbAsync(db => db.NotificationRules.Where(r => r.IntegrationId == world.IntegrationId).Select(r => r.Id).ToListAsync());
        Assert.DoesNotContain(world.RuleId, left);
        Assert.Single(left);
    }

    [Fact]
    public async Task An_admin_api_key_may_use_the_api_too()
    {
        var world = await WorldAsync();
        var key = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Admin));

        var list = await (await key.GetAsync(world.Url)).ReadJsonAsync(HttpStatusCode.OK);
        await (await key.PostAsync(world.Url, JsonText(Body(world.ListenerName, "%= 50", world.WebhookId)))).ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal(world.RuleId, list.GetProperty("notificationConditions")[0].GetProperty("id").GetGuid());
        Assert.Equal(2, (await RulesAsync(world)).Count);
    }

    [Fact]
    public async Task Support_reads_and_changes_nothing()
    {
        var world = await WorldAsync();
        var before = await RulesAsync(world);

        var answers = await EveryRouteAsync(await portal.AsSupportAsync(), world);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], answers);
        Assert.Equal(before, await RulesAsync(world));
    }

    [Fact]
    public async Task A_subscriber_key_of_the_org_reaches_no_route()
    {
        var world = await WorldAsync();
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: world.IntegrationId));
        var before = await RulesAsync(world);

        var answers = await EveryRouteAsync(subscriber, world);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Forbidden, a));
        Assert.Equal(before, await RulesAsync(world));
    }

    [Fact]
    public async Task Anonymous_callers_get_401_on_every_route()
    {
        var world = await WorldAsync();
        var before = await RulesAsync(world);

        var answers = await EveryRouteAsync(portal.Anonymous(), world);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Unauthorized, a));
        await (await portal.WithBasic(PortalFactory.AdminEmail, "not-the-password").GetAsync(world.Url)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(before, await RulesAsync(world));
    }
}
