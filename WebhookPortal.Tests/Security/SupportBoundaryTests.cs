using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Features.Users;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: Admin / Support inside the app. Support reads, redelivers and replays; every write and
/// every secret is refused by the services themselves (a page calls them directly, so a hidden button is
/// not a check), and secrets never reach Support in any answer.
/// </summary>
public sealed class SupportBoundaryTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string HeaderSecret = "sk_live_4f9a0c1d2e3b";

    private sealed record World(TestListener Listener, string Org, Guid WebhookId, Guid RuleId, Guid EventTypeId, string UserId, Guid ApiKeyId);

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<World> WorldAsync()
    {
        var admin = portal.AsAdmin();
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Token" });
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var webhookId = (await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks",
            Body("{\"name\":\"crm\",\"postURL\":\"https://crm.example.invalid/h\",\"headers\":{\"X-Api-Key\":\"" + HeaderSecret + "\"}}"))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var ruleId = (await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/notification-rules", new
        {
            name = "quota", target = 100, period = "Day", conditions = new[] { new { from = 80 } }, webhookIds = new[] { webhookId },
        })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var eventTypeId = (await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types", new
        {
            name = "NewOrder", listenerId = listener.Id, actions = new[] { "insert" }, script = "(record) => record",
        })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var userId = (await (await admin.PostAsJsonAsync("/api/users", new { email = $"u{Guid.NewGuid():N}"[..12] + "@test.local", password = "Some-Pass-123", role = "Support" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var apiKeyId = (await (await admin.PostAsJsonAsync("/api/api-keys", new { name = "robot", role = "Support" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        return new World(listener, org, webhookId, ruleId, eventTypeId, userId, apiKeyId);
    }

    /// <summary>Everything an action could change, as one comparable text.</summary>
    private Task<string> FingerprintAsync(World world) => portal.WithDbAsync(async db => JsonSerializer.Serialize(new
    {
        integrations = await db.Integrations.AsNoTracking().OrderBy(i => i.Id).Select(i => new { i.Id, i.Name, i.Description, i.UpdatedUtc }).ToListAsync(),
        listeners = await db.Listeners.AsNoTracking().OrderBy(l => l.Id)
            .Select(l => new { l.Id, l.Name, l.Enabled, l.AuthMethod, l.TokenName, l.TokenHash, l.RetentionDays, l.Script, l.SchemaJson, l.UpdatedUtc }).ToListAsync(),
        webhooks = await db.Webhooks.AsNoTracking().OrderBy(w => w.Id)
            .Select(w => new { w.Id, w.Name, w.PostUrl, w.Enabled, w.ProtectedSecret, w.HeadersJson, w.EventTypesJson, w.UpdatedUtc }).ToListAsync(),
        rules = await db.NotificationRules.AsNoTracking().OrderBy(r => r.Id).Select(r => new { r.Id, r.Name, r.Enabled, r.Target, r.ConditionsJson, r.UpdatedUtc }).ToListAsync(),
        eventTypes = await db.EventTypes.AsNoTracking().OrderBy(e => e.Id).Select(e => new { e.Id, e.Name, e.Enabled, e.Script, e.ActionsJson, e.UpdatedUtc }).ToListAsync(),
        users = await db.Users.AsNoTracking().OrderBy(u => u.Id).Select(u => new { u.Id, u.Email, u.PasswordHash, u.SecurityStamp, u.LockoutEnd }).ToListAsync(),
        roles = await db.UserRoles.AsNoTracking().OrderBy(r => r.UserId).ThenBy(r => r.RoleId).Select(r => r.UserId + "/" + r.RoleId).ToListAsync(),
        apiKeys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => new { k.Id, k.Name, k.Role }).ToListAsync(),
        messages = await db.Messages.CountAsync(),
        deliveries = await db.Deliveries.CountAsync(),
        logs = await db.LogEntries.CountAsync(),
        records = await portal.RecordCountAsync(world.Listener.Id),
    }));

    private static ClaimsPrincipal SupportUser() => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, PortalFactory.SupportEmail), new Claim(ClaimTypes.Role, PortalRoles.Support)], "Test"));

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>Every write or secret action of the pages, as the page calls it: the service, directly.</summary>
    private static readonly Dictionary<string, Func<IServiceProvider, World, Task>> AdminActions = new()
    {
        ["listener create"] = (s, w) => s.GetRequiredService<ListenerCatalog>().CreateAsync(w.Listener.IntegrationId, new ListenerRequest("by-support", true, null, null)),
        ["listener update"] = (s, w) => s.GetRequiredService<ListenerCatalog>().UpdateAsync(w.Listener.Id, new ListenerRequest("renamed", true, new ListenerAuthRequest(ListenerAuthMethod.None, null, null, null), null)),
        ["listener enable"] = (s, w) => s.GetRequiredService<ListenerCatalog>().SetEnabledAsync(w.Listener.Id, false),
        ["listener delete"] = (s, w) => s.GetRequiredService<ListenerCatalog>().DeleteAsync(w.Listener.Id),
        ["listener token"] = (s, w) => s.GetRequiredService<ListenerTokens>().RotateTokenAsync(w.Listener.Id),
        ["listener tables preview"] = (s, w) => s.GetRequiredService<TableDesigner>().PreviewTablesAsync(w.Listener.Id, new TablesRequest(Parse("""[{"id":1}]"""), "orders", null, ["id"])),
        ["listener tables generate"] = (s, w) => s.GetRequiredService<TableDesigner>().GenerateTablesAsync(w.Listener.Id, new TablesRequest(Parse("""[{"id":1,"extra":"x"}]"""), "orders", null, ["id"], ConfirmDestructive: true)),
        ["listener script test"] = (s, w) => s.GetRequiredService<ListenerScriptTester>().TestScriptAsync(w.Listener.Id, new ScriptTestRequest(Parse("""{"id":1}"""), "POST", null, null, "(body) => body")),
        ["retention run"] = (s, w) => s.GetRequiredService<RetentionRuns>().StartAsync(),
        ["webhook create"] = (s, w) => s.GetRequiredService<WebhookCatalog>().CreateAsync(w.Listener.IntegrationId, new WebhookRequest("by-support", "https://x.example.invalid/h", true, null, null), PortalFactory.SupportEmail),
        ["webhook update"] = (s, w) => s.GetRequiredService<WebhookCatalog>().UpdateAsync(w.Listener.IntegrationId, w.WebhookId, new WebhookRequest("renamed", null, null, null, null), PortalFactory.SupportEmail),
        ["webhook enable"] = (s, w) => s.GetRequiredService<WebhookCatalog>().SetEnabledAsync(w.WebhookId, false, PortalFactory.SupportEmail),
        ["webhook delete"] = (s, w) => s.GetRequiredService<WebhookCatalog>().DeleteAsync(w.Listener.IntegrationId, w.WebhookId, true),
        ["webhook secret"] = (s, w) => s.GetRequiredService<WebhookSecrets>().GetSecretAsync(w.WebhookId),
        ["webhook secret rotate"] = (s, w) => s.GetRequiredService<WebhookSecrets>().RotateSecretAsync(w.WebhookId, PortalFactory.SupportEmail),
        ["webhook test event"] = (s, w) => s.GetRequiredService<WebhookPublisher>().SendTestAsync(w.WebhookId),
        ["message publish"] = (s, w) => s.GetRequiredService<WebhookPublisher>().PublishAsync(w.Listener.IntegrationId, "order.created", Parse("{}")),
        ["rule create"] = (s, w) => s.GetRequiredService<NotificationService>().CreateAsync(w.Listener.IntegrationId, new NotificationRuleRequest("r", null, 10, UsagePeriod.Day, [new ThresholdConditionRequest(50, null, null, null)], [w.WebhookId], true)),
        ["rule update"] = (s, w) => s.GetRequiredService<NotificationService>().UpdateAsync(w.Listener.IntegrationId, w.RuleId, new NotificationRuleRequest("renamed", null, null, null, null, null, false)),
        ["rule enable"] = (s, w) => s.GetRequiredService<NotificationService>().SetEnabledAsync(w.RuleId, false),
        ["rule delete"] = (s, w) => s.GetRequiredService<NotificationService>().DeleteAsync(w.Listener.IntegrationId, w.RuleId),
        ["event type create"] = (s, w) => s.GetRequiredService<EventTypeCatalog>().CreateAsync(w.Listener.IntegrationId, new EventTypeRequest("Other", null, w.Listener.Id, ["insert"], null, true)),
        ["event type update"] = (s, w) => s.GetRequiredService<EventTypeCatalog>().UpdateAsync(w.EventTypeId, new EventTypeRequest(null, null, null, null, "(record) => null", false)),
        ["event type delete"] = (s, w) => s.GetRequiredService<EventTypeCatalog>().DeleteAsync(w.EventTypeId),
        ["event type test"] = (s, w) => s.GetRequiredService<EventTypeCatalog>().TestAsync(w.EventTypeId, new EventTestRequest(Parse("""{"id":1}"""), "insert", "(record) => record")),
        ["user list"] = (s, w) => s.GetRequiredService<UserService>().ListAsync(),
        ["user create"] = (s, w) => s.GetRequiredService<UserService>().CreateAsync(new CreateUserRequest("new@test.local", "New-Pass-1234", "Admin")),
        ["user update"] = (s, w) => s.GetRequiredService<UserService>().UpdateAsync(w.UserId, new UpdateUserRequest("Admin", null, null)),
        ["user delete"] = (s, w) => s.GetRequiredService<UserService>().DeleteAsync(w.UserId),
        ["integration create"] = (s, w) => s.GetRequiredService<IntegrationService>().CreateAsync(new IntegrationRequest("by-support", null)),
        ["integration update"] = (s, w) => s.GetRequiredService<IntegrationService>().UpdateAsync(w.Listener.IntegrationId, new IntegrationRequest("renamed", "changed")),
        ["integration delete"] = (s, w) => s.GetRequiredService<IntegrationService>().DeleteAsync(w.Listener.IntegrationId),
        ["api key list"] = (s, w) => s.GetRequiredService<ApiKeyService>().ListAsync(),
        ["api key create"] = (s, w) => s.GetRequiredService<ApiKeyService>().CreateAsync("mine", "Admin", null, PortalFactory.SupportEmail),
        ["api key revoke"] = (s, w) => s.GetRequiredService<ApiKeyService>().RevokeAsync(w.ApiKeyId),
    };

    public static TheoryData<string> AdminActionNames => new(AdminActions.Keys);

    [Theory]
    [MemberData(nameof(AdminActionNames))]
    public async Task A_support_user_calling_the_service_of_a_page_action_is_refused_and_nothing_changes(string action)
    {
        var world = await WorldAsync();
        var before = await FingerprintAsync(world);

        using (var scope = portal.Services.CreateScope())
        {
            scope.ServiceProvider.GetRequiredService<PortalCaller>().Use(SupportUser());
            var refused = await Assert.ThrowsAsync<ForbiddenException>(() => AdminActions[action](scope.ServiceProvider, world));
            Assert.Equal(403, refused.StatusCode);
        }

        Assert.Equal(before, await FingerprintAsync(world));
    }

    [Fact]
    public async Task A_service_called_with_nobody_signed_in_refuses_too()
    {
        var world = await WorldAsync();
        var before = await FingerprintAsync(world);

        // No HttpContext, no circuit, no principal given: fail closed.
        using (var scope = portal.Services.CreateScope())
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => AdminActions["listener update"](scope.ServiceProvider, world));
            await Assert.ThrowsAsync<ForbiddenException>(() => AdminActions["webhook secret"](scope.ServiceProvider, world));
            await Assert.ThrowsAsync<ForbiddenException>(() => scope.ServiceProvider.GetRequiredService<LogActions>().ReplayAsync(1));
        }

        Assert.Equal(before, await FingerprintAsync(world));
    }

    [Fact]
    public async Task Webhook_header_values_are_masked_for_support_in_every_get_and_shown_to_admins()
    {
        var world = await WorldAsync();
        var support = await portal.AsSupportAsync();
        var admin = portal.AsAdmin();
        var urls = new[] { $"/v1/mint/organizations/{world.Org}/webhooks", $"/v1/mint/organizations/{world.Org}/webhooks/{world.WebhookId}", "/api/webhooks" };

        foreach (var url in urls)
        {
            var supportAnswer = await support.GetAsync(url);
            var supportBody = await supportAnswer.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, supportAnswer.StatusCode);
            Assert.DoesNotContain(HeaderSecret, supportBody);
            var mine = Find(JsonDocument.Parse(supportBody).RootElement, world.WebhookId);
            Assert.Equal(WebhookView.MaskedValue, mine.GetProperty("headers").GetProperty("X-Api-Key").GetString());
            Assert.True(mine.GetProperty("headersMasked").GetBoolean(), url);

            var adminBody = await (await admin.GetAsync(url)).ReadJsonAsync(HttpStatusCode.OK);
            var adminView = Find(adminBody, world.WebhookId);
            Assert.Equal(HeaderSecret, adminView.GetProperty("headers").GetProperty("X-Api-Key").GetString());
            Assert.False(adminView.GetProperty("headersMasked").GetBoolean());
        }

        // The other doors stay shut: a Subscriber key and no credentials at all.
        var key = await portal.CreateApiKeyAsync("Subscriber", "zap-" + Guid.NewGuid().ToString("N")[..6]);
        await (await portal.WithBearer(key).GetAsync(urls[0])).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().GetAsync(urls[0])).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    private static JsonElement Find(JsonElement answer, Guid id)
    {
        if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("webhooks", out var list))
        {
            answer = list;
        }

        return answer.ValueKind == JsonValueKind.Array ? answer.EnumerateArray().Single(w => w.GetProperty("id").GetGuid() == id) : answer;
    }

    [Fact]
    public async Task Signing_secrets_and_listener_tokens_never_reach_support()
    {
        var world = await WorldAsync();
        var support = await portal.AsSupportAsync();
        var before = await FingerprintAsync(world);

        await (await support.GetAsync($"/api/webhooks/{world.WebhookId}/secret")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsync($"/api/webhooks/{world.WebhookId}/secret/rotate", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsync($"/api/listeners/{world.Listener.Id}/token", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(before, await FingerprintAsync(world));

        var hash = ListenerTokens.HashToken(world.Listener.Token!);
        foreach (var url in new[] { $"/api/listeners/{world.Listener.Id}", "/api/listeners", $"/api/integrations/{world.Listener.IntegrationId}/listeners" })
        {
            var body = await (await support.GetAsync(url)).Content.ReadAsStringAsync();
            Assert.Contains(world.Listener.Id.ToString(), body);
            Assert.DoesNotContain(world.Listener.Token!, body);
            Assert.DoesNotContain(Convert.ToBase64String(hash), body);
            Assert.DoesNotContain(Convert.ToHexString(hash), body, StringComparison.OrdinalIgnoreCase);
        }

        // Admins get the signing secret where they are meant to (its own endpoint); the token was shown once.
        var secret = (await (await portal.AsAdmin().GetAsync($"/api/webhooks/{world.WebhookId}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString();
        Assert.StartsWith("whsec_", secret);
        Assert.True((await (await portal.AsAdmin().GetAsync($"/api/listeners/{world.Listener.Id}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("auth").GetProperty("hasToken").GetBoolean());
    }

    [Fact]
    public async Task Support_may_replay_a_request_and_the_replay_names_who_did_it_while_a_subscriber_key_and_strangers_may_not()
    {
        var world = await WorldAsync();
        var request = Json(HttpMethod.Post, world.Listener.HookPath, """{"data":{"items":{"id":7,"name":"first"}}}""");
        request.Headers.Add("X-Token", world.Listener.Token);
        await (await portal.Anonymous().SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);
        var logId = (await portal.LogsAsync($"sourceId={world.Listener.Id}")).GetProperty("items")[0].GetProperty("id").GetInt64();
        var admin = portal.AsAdmin();
        var key = await portal.CreateApiKeyAsync("Subscriber", "zap-" + Guid.NewGuid().ToString("N")[..6]);

        // The record fires an event whose script runs after the commit, and its delivery's first attempt is
        // logged: let both settle before taking the fingerprint (the fake clock holds any retry back).
        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(async db => await db.PendingEvents.CountAsync() +
                await db.Deliveries.CountAsync(d => d.State == WebhookPortal.Features.Deliveries.DeliveryState.Pending && !db.LogEntries.Any(l => l.DeliveryId == d.Id))) == 0,
            "the staged event to be processed and its delivery's first attempt logged",
            TimeSpan.FromSeconds(30));

        var before = await FingerprintAsync(world);

        await (await portal.WithBearer(key).PostAsync($"/api/logs/{logId}/replay", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().PostAsync($"/api/logs/{logId}/replay", null)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(before, await FingerprintAsync(world));

        var replay = await (await (await portal.AsSupportAsync()).PostAsync($"/api/logs/{logId}/replay", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(200, replay.GetProperty("status").GetInt32());
        var newest = (await portal.LogsAsync($"sourceId={world.Listener.Id}")).GetProperty("items")[0].GetProperty("id").GetInt64();
        var entry = await (await admin.GetAsync($"/api/logs/{newest}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(PortalFactory.SupportEmail, entry.GetProperty("requestHeaders").GetProperty("X-Portal-Replay-By").GetString());
    }
}
