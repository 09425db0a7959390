using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Audit;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Audit;

/// <summary>A portal whose clients may speak from a chosen address, with small retention batches.</summary>
public sealed class AuditPortalFactory : PortalFactory
{
    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        builder.UseSetting("Retention:BatchSize", "2");
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, TestClientAddress>());
    }
}

/// <summary>Per resource: a change through the API leaves an entry with the right actor, action, resource and masked secrets.</summary>
public sealed class AuditTrailTests(AuditPortalFactory portal) : IClassFixture<AuditPortalFactory>
{
    private const string Address = "203.0.113.7";

    private HttpClient Admin() => portal.AsAdmin().From(Address);

    private async Task<JsonElement[]> EntriesAsync(string query)
    {
        var page = await (await portal.AsAdmin().GetAsync("/api/audit?pageSize=500&" + query)).ReadJsonAsync(HttpStatusCode.OK);
        return page.GetProperty("items").EnumerateArray().ToArray();
    }

    private async Task<JsonElement> OneAsync(string resourceId, string action)
    {
        var entries = await EntriesAsync($"resourceId={Uri.EscapeDataString(resourceId)}&action={action}");
        return Assert.Single(entries);
    }

    private async Task<JsonElement> DetailAsync(JsonElement entry) =>
        await (await portal.AsAdmin().GetAsync($"/api/audit/{entry.GetProperty("id").GetInt64()}")).ReadJsonAsync(HttpStatusCode.OK);

    private static void AssertAdmin(JsonElement entry, string? address = Address)
    {
        Assert.Equal(AuditActorKinds.User, entry.GetProperty("actorKind").GetString());
        Assert.Equal(PortalFactory.AdminEmail, entry.GetProperty("actorName").GetString());
        Assert.False(string.IsNullOrEmpty(entry.GetProperty("actorId").GetString()));
        if (address is not null)
        {
            Assert.Equal(address, entry.GetProperty("address").GetString());
        }
    }

    private static JsonElement Field(JsonElement detail, string side, string field) => JsonDocument.Parse(detail.GetProperty(side).GetString()!).RootElement.GetProperty(field);

    [Fact]
    public async Task Integration_create_update_and_delete_are_recorded_with_who_when_and_where()
    {
        var created = await (await Admin().PostAsJsonAsync("/api/integrations", new { name = "Audited-" + Guid.NewGuid().ToString("N")[..6] })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid().ToString();
        await (await Admin().PutAsJsonAsync($"/api/integrations/{id}", new { name = "Renamed-" + id[..6], description = "CRM" })).ReadJsonAsync(HttpStatusCode.OK);
        await (await Admin().DeleteAsync($"/api/integrations/{id}")).ReadJsonAsync(HttpStatusCode.NoContent);

        var create = await OneAsync(id, "integration.created");
        AssertAdmin(create);
        Assert.Equal("integration", create.GetProperty("resourceType").GetString());
        Assert.Equal(portal.Clock.GetUtcNow().UtcDateTime, create.GetProperty("time").GetDateTime().ToUniversalTime());

        var update = await DetailAsync(await OneAsync(id, "integration.updated"));
        Assert.Contains(update.GetProperty("changes").EnumerateArray(), c => c.GetProperty("field").GetString() == "name");
        Assert.Equal("CRM", Field(update, "after", "description").GetString());
        Assert.Equal("Renamed-" + id[..6], update.GetProperty("entry").GetProperty("resourceName").GetString());

        AssertAdmin(await OneAsync(id, "integration.deleted"));
    }

    [Fact]
    public async Task Listener_changes_are_recorded_and_turning_auth_off_stands_out()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", tokenLocation = "Header", tokenName = "X-Webhook-Token" });
        var id = listener.Id.ToString();
        await (await Admin().PutAsJsonAsync($"/api/listeners/{id}", new { enabled = false })).ReadJsonAsync(HttpStatusCode.OK);
        await (await Admin().PutAsJsonAsync($"/api/listeners/{id}", new { auth = new { method = "None" } })).ReadJsonAsync(HttpStatusCode.OK);

        var created = await DetailAsync(await OneAsync(id, "listener.created"));
        Assert.Equal("Token", Field(created, "after", "authMethod").GetString());
        Assert.Equal("listener", created.GetProperty("entry").GetProperty("resourceType").GetString());

        AssertAdmin(await OneAsync(id, "listener.disabled"));
        var authChange = await OneAsync(id, "listener.auth_changed");
        AssertAdmin(authChange);
        Assert.Equal(AuditSeverity.Warning, authChange.GetProperty("severity").GetString());
        var detail = await DetailAsync(authChange);
        Assert.Equal("Token", Field(detail, "before", "authMethod").GetString());
        Assert.Equal("None", Field(detail, "after", "authMethod").GetString());

        // The token (rotated by CreateListenerAsync) is never written: only that its hash changed.
        var rotation = await DetailAsync(await OneAsync(id, "listener.token_rotated"));
        Assert.Equal(AuditSeverity.Warning, rotation.GetProperty("entry").GetProperty("severity").GetString());
        Assert.Equal(AuditRules.MaskedChanged, Field(rotation, "after", "tokenHash").GetString());
        var all = await (await portal.AsAdmin().GetAsync($"/api/audit/export?format=json&resourceId={id}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(listener.Token!, all);
    }

    [Fact]
    public async Task Listener_signing_secrets_are_masked()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "StandardWebhooks" });
        var rotated = await (await Admin().PostAsync($"/api/listeners/{listener.Id}/secret", null)).ReadJsonAsync(HttpStatusCode.OK);
        var secret = rotated.GetProperty("secret").GetString()!;

        var entry = await DetailAsync(await OneAsync(listener.Id.ToString(), "listener.secret_rotated"));
        Assert.Equal(AuditRules.MaskedChanged, Field(entry, "after", "signingSecretProtected").GetString());
        var all = await (await portal.AsAdmin().GetAsync($"/api/audit/export?format=json&resourceId={listener.Id}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, all);
        Assert.DoesNotContain(listener.Secret ?? "no-secret", all);
    }

    [Fact]
    public async Task Generating_tables_is_recorded_as_a_table_change()
    {
        var listener = await portal.CreateListenerAsync();
        var generated = await OneAsync(listener.Id.ToString(), "table.generated");
        Assert.Equal("table", generated.GetProperty("resourceType").GetString());
        Assert.Equal(listener.Name, generated.GetProperty("resourceName").GetString());

        var widened = OrdersSample.Replace("\"name\":\"First\"", "\"name\":\"First\",\"extra\":\"x\"", StringComparison.Ordinal);
        await (await Admin().PostAsJsonAsync($"/api/listeners/{listener.Id}/tables", new { sample = widened, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" } })).ReadJsonAsync(HttpStatusCode.OK);
        var changed = await DetailAsync(await OneAsync(listener.Id.ToString(), "table.changed"));
        AssertAdmin(changed.GetProperty("entry"));
        Assert.Contains("extra", changed.GetProperty("after").GetString());
    }

    [Fact]
    public async Task Webhook_create_disable_enable_and_secret_rotation_are_recorded_with_secrets_masked()
    {
        var org = "Org-" + Guid.NewGuid().ToString("N")[..8];
        await portal.CreateIntegrationAsync(org);
        var created = await (await Admin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks",
            new { name = "audited", postURL = "https://hooks.example.invalid/cb?token=abc123", headers = new Dictionary<string, string> { ["X-Api-Key"] = "hdr-secret-1", ["X-Tenant"] = "t1" } })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid().ToString();
        await (await Admin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks/{id}", new { enabled = "false" })).ReadJsonAsync(HttpStatusCode.OK);
        await (await Admin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks/{id}", new { enabled = true })).ReadJsonAsync(HttpStatusCode.OK);
        var secret = (await (await Admin().GetAsync($"/api/webhooks/{id}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        var rotated = (await (await Admin().PostAsync($"/api/webhooks/{id}/secret/rotate", null)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString()!;

        var create = await DetailAsync(await OneAsync(id, "webhook.created"));
        AssertAdmin(create.GetProperty("entry"));
        Assert.Equal(AuditRules.Masked, Field(create, "after", "protectedSecret").GetString());
        Assert.Equal(AuditRules.Masked, Field(create, "after", "headersJson").GetProperty("X-Api-Key").GetString());
        Assert.Equal("t1", Field(create, "after", "headersJson").GetProperty("X-Tenant").GetString());
        AssertAdmin(await OneAsync(id, "webhook.disabled"));
        AssertAdmin(await OneAsync(id, "webhook.enabled"));
        var rotation = await OneAsync(id, "webhook.secret_rotated");
        Assert.Equal(AuditSeverity.Warning, rotation.GetProperty("severity").GetString());

        var all = await (await portal.AsAdmin().GetAsync($"/api/audit/export?format=json&resourceId={id}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, all);
        Assert.DoesNotContain(rotated, all);
        Assert.DoesNotContain("hdr-secret-1", all);
        Assert.DoesNotContain("abc123", all);
    }

    [Fact]
    public async Task Rules_and_event_types_are_recorded()
    {
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var webhook = await (await Admin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "usage", postURL = "https://usage.example.invalid/cb" })).ReadJsonAsync(HttpStatusCode.Created);
        var rule = await (await Admin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/notification-rules",
            new { name = "quota", listenerId = listener.Id, target = 10, period = "Day", conditions = new[] { new { from = 80 } }, webhookIds = new[] { webhook.GetProperty("id").GetGuid() }, enabled = true })).ReadJsonAsync(HttpStatusCode.Created);
        var ruleId = rule.GetProperty("id").GetGuid();
        await (await Admin().DeleteAsync($"/api/integrations/{listener.IntegrationId}/notification-rules/{ruleId}")).ReadJsonAsync(HttpStatusCode.NoContent);

        var eventType = await (await Admin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types",
            new { name = "NewOrder" + Guid.NewGuid().ToString("N")[..6], listenerId = listener.Id, actions = new[] { "insert" }, enabled = true })).ReadJsonAsync(HttpStatusCode.Created);
        var eventTypeId = eventType.GetProperty("id").GetGuid();
        await (await Admin().PutAsJsonAsync($"/api/event-types/{eventTypeId}", new { description = "orders" })).ReadJsonAsync(HttpStatusCode.OK);
        await (await Admin().DeleteAsync($"/api/event-types/{eventTypeId}")).ReadJsonAsync(HttpStatusCode.NoContent);

        var ruleCreated = await OneAsync(ruleId.ToString(), "rule.created");
        AssertAdmin(ruleCreated);
        Assert.Equal("quota", ruleCreated.GetProperty("resourceName").GetString());
        AssertAdmin(await OneAsync(ruleId.ToString(), "rule.deleted"));
        AssertAdmin(await OneAsync(eventTypeId.ToString(), "event_type.created"));
        var updated = await DetailAsync(await OneAsync(eventTypeId.ToString(), "event_type.updated"));
        Assert.Equal("orders", Field(updated, "after", "description").GetString());
        var deleted = await DetailAsync(await OneAsync(eventTypeId.ToString(), "event_type.deleted"));
        Assert.Equal(eventType.GetProperty("name").GetString(), Field(deleted, "before", "name").GetString());
    }

    [Fact]
    public async Task Subscriptions_are_recorded_with_their_secret_masked()
    {
        var listener = await portal.CreateListenerAsync();
        var name = "Sub" + Guid.NewGuid().ToString("N")[..6];
        await (await Admin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types", new { name, listenerId = listener.Id, actions = new[] { "insert" }, enabled = true })).ReadJsonAsync(HttpStatusCode.Created);
        var subscribed = await (await Admin().PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = "https://zap.example.invalid/hook" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = subscribed.GetProperty("id").GetGuid().ToString();
        await (await Admin().DeleteAsync($"/api/hooks/subscriptions/{id}")).ReadJsonAsync(HttpStatusCode.NoContent);

        var created = await DetailAsync(await OneAsync(id, "subscription.created"));
        AssertAdmin(created.GetProperty("entry"));
        Assert.Equal(AuditRules.Masked, Field(created, "after", "protectedSecret").GetString());
        AssertAdmin(await OneAsync(id, "subscription.deleted"));
    }

    [Fact]
    public async Task Users_and_their_roles_are_recorded_and_passwords_never()
    {
        var email = $"audited-{Guid.NewGuid():N}"[..20] + "@test.local";
        var created = await (await Admin().PostAsJsonAsync("/api/users", new { email, role = "Support", password = "Audited-Pass-1" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        await (await Admin().PutAsJsonAsync($"/api/users/{id}", new { role = "Admin" })).ReadJsonAsync(HttpStatusCode.OK);
        await (await Admin().PutAsJsonAsync($"/api/users/{id}", new { locked = true })).ReadJsonAsync(HttpStatusCode.OK);
        await (await Admin().PutAsJsonAsync($"/api/users/{id}", new { locked = false, password = "Changed-Pass-22" })).ReadJsonAsync(HttpStatusCode.OK);
        await (await Admin().DeleteAsync($"/api/users/{id}")).ReadJsonAsync(HttpStatusCode.NoContent);

        var user = await DetailAsync(await OneAsync(id, "user.created"));
        AssertAdmin(user.GetProperty("entry"));
        Assert.Equal(email, user.GetProperty("entry").GetProperty("resourceName").GetString());
        Assert.Equal(AuditRules.Masked, Field(user, "after", "passwordHash").GetString());
        var roles = await EntriesAsync($"resourceId={id}&action=user.role_added");
        Assert.Equal(2, roles.Length);
        var promoted = await DetailAsync(roles[0]);
        Assert.Equal("Admin", Field(promoted, "after", "role").GetString());
        Assert.Equal(AuditSeverity.Warning, roles[0].GetProperty("severity").GetString());
        var demoted = await DetailAsync(await OneAsync(id, "user.role_removed"));
        Assert.Equal("Support", Field(demoted, "before", "role").GetString());
        AssertAdmin(await OneAsync(id, "user.locked"));
        Assert.NotEmpty(await EntriesAsync($"resourceId={id}&action=user.password_changed"));
        AssertAdmin(await OneAsync(id, "user.deleted"));

        var all = await (await portal.AsAdmin().GetAsync($"/api/audit/export?format=json&resourceId={id}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("Audited-Pass-1", all);
        Assert.DoesNotContain("Changed-Pass-22", all);
        Assert.DoesNotContain("AQAAAA", all); // Identity's password hash prefix
    }

    [Fact]
    public async Task Api_keys_are_recorded_and_a_key_is_named_as_the_actor()
    {
        var created = await (await Admin().PostAsJsonAsync("/api/api-keys", new { name = "audit-automation", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created);
        var keyId = created.GetProperty("id").GetGuid().ToString();
        var key = created.GetProperty("key").GetString()!;

        var byKey = await (await portal.WithBearer(key).From("198.51.100.4").PostAsJsonAsync("/api/integrations", new { name = "By-Key-" + keyId[..6] })).ReadJsonAsync(HttpStatusCode.Created);
        await (await Admin().DeleteAsync($"/api/api-keys/{keyId}")).ReadJsonAsync(HttpStatusCode.NoContent);

        var create = await DetailAsync(await OneAsync(keyId, "api_key.created"));
        AssertAdmin(create.GetProperty("entry"));
        Assert.Equal(AuditSeverity.Warning, create.GetProperty("entry").GetProperty("severity").GetString());
        Assert.Equal(AuditRules.Masked, Field(create, "after", "keyHash").GetString());
        Assert.Equal(0, Field(create, "after", "integrationIds").GetArrayLength());

        var integration = await OneAsync(byKey.GetProperty("id").GetGuid().ToString(), "integration.created");
        Assert.Equal(AuditActorKinds.ApiKey, integration.GetProperty("actorKind").GetString());
        Assert.Equal("audit-automation", integration.GetProperty("actorName").GetString());
        Assert.Equal(keyId, integration.GetProperty("actorId").GetString());
        Assert.Equal("198.51.100.4", integration.GetProperty("address").GetString());

        var revoked = await OneAsync(keyId, "api_key.revoked");
        AssertAdmin(revoked);
        Assert.Equal("audit-automation", revoked.GetProperty("resourceName").GetString());
        var all = await (await portal.AsAdmin().GetAsync($"/api/audit/export?format=json&resourceId={keyId}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(key[^20..], all);
    }

    [Fact]
    public async Task Interactive_sign_ins_and_failed_attempts_are_recorded_but_api_requests_are_not()
    {
        await portal.SignInWithCookieAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "192.0.2.10");
        var wrong = await portal.CookieClient().From("192.0.2.11").PostLoginFormAsync(PortalFactory.AdminEmail, "Wrong-Password-1");
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        await (await portal.WithBasic("nobody@test.local", "Guess-Pass-1").From("192.0.2.12").GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var before = await portal.WithDbAsync(db => db.AuditEntries.CountAsync());
        await (await portal.AsAdmin().GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);

        var signIns = await EntriesAsync("action=user.signed_in&q=192.0.2.10");
        var signIn = Assert.Single(signIns);
        AssertAdmin(signIn, "192.0.2.10");
        // Entries written with an explicit actor get their time too (retention would otherwise take them at once).
        Assert.Equal(portal.Clock.GetUtcNow().UtcDateTime, signIn.GetProperty("time").GetDateTime().ToUniversalTime());

        var failedForm = Assert.Single(await EntriesAsync("action=user.sign_in_failed&q=192.0.2.11"));
        Assert.Equal(AuditActorKinds.Anonymous, failedForm.GetProperty("actorKind").GetString());
        Assert.Equal(PortalFactory.AdminEmail, failedForm.GetProperty("actorName").GetString());
        Assert.Equal(AuditSeverity.Warning, failedForm.GetProperty("severity").GetString());
        Assert.DoesNotContain("Wrong-Password-1", (await DetailAsync(failedForm)).GetRawText());

        var failedBasic = Assert.Single(await EntriesAsync("action=user.sign_in_failed&q=192.0.2.12"));
        Assert.Equal("nobody@test.local", failedBasic.GetProperty("resourceName").GetString());
        Assert.Contains("basic", (await DetailAsync(failedBasic)).GetProperty("after").GetString());
        Assert.Equal(before, await portal.WithDbAsync(db => db.AuditEntries.CountAsync()));
    }

    [Fact]
    public async Task Signing_out_is_recorded_with_who_and_from_where()
    {
        var client = await portal.SignInWithCookieAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "192.0.2.20");

        var response = await client.PostLogoutAsync();

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var signOut = Assert.Single(await EntriesAsync("action=user.signed_out&q=192.0.2.20"));
        AssertAdmin(signOut, "192.0.2.20");
        Assert.Equal(AuditResources.User, signOut.GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task Receiving_records_is_data_and_not_audited()
    {
        var listener = await portal.CreateListenerAsync();
        var before = await portal.WithDbAsync(db => db.AuditEntries.CountAsync());
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":7,"name":"n"}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(before, await portal.WithDbAsync(db => db.AuditEntries.CountAsync()));
    }

    [Fact]
    public async Task Redelivery_is_recorded()
    {
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var message = new Message { Id = Guid.NewGuid(), EventType = "order.created", Payload = "{}", CreatedUtc = now };
        var failed = DeliveryOutbox.NewDelivery(message.Id, new DeliveryRequest(DeliveryTargetKind.Webhook, Guid.NewGuid(), "audit-target", "https://target.example.invalid/"), now);
        failed.State = DeliveryState.Failed;
        await portal.WithDbAsync(async db =>
        {
            db.Messages.Add(message);
            db.Deliveries.Add(failed);
            return await db.SaveChangesAsync();
        });

        await (await Admin().PostAsync($"/api/deliveries/{failed.Id}/redeliver", null)).ReadJsonAsync(HttpStatusCode.Accepted);

        var entry = await OneAsync(failed.Id.ToString(), "delivery.redelivered");
        AssertAdmin(entry);
        Assert.Equal("delivery", entry.GetProperty("resourceType").GetString());
        Assert.Equal("audit-target", entry.GetProperty("resourceName").GetString());
    }

    [Fact]
    public async Task Replay_and_bulk_replay_are_recorded()
    {
        var listener = await portal.CreateListenerAsync();
        var support = (await portal.AsSupportAsync()).From(Address);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":8,"name":"n"}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var logs = await portal.LogsAsync($"sourceId={listener.Id}");
        var logId = logs.GetProperty("items")[0].GetProperty("id").GetInt64();

        await (await support.PostAsync($"/api/logs/{logId}/replay", null)).ReadJsonAsync(HttpStatusCode.OK);
        var bulk = await (await support.PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", new { from = portal.Clock.GetUtcNow().UtcDateTime.AddHours(-1), state = "all" })).ReadJsonAsync(HttpStatusCode.Accepted);

        var single = await OneAsync(logId.ToString(System.Globalization.CultureInfo.InvariantCulture), "replay.replayed");
        Assert.Equal(PortalFactory.SupportEmail, single.GetProperty("actorName").GetString());
        Assert.Equal(Address, single.GetProperty("address").GetString());
        Assert.Equal(listener.Name, single.GetProperty("resourceName").GetString());

        var started = await OneAsync(bulk.GetProperty("id").GetGuid().ToString(), "replay.bulk_started");
        Assert.Equal(PortalFactory.SupportEmail, started.GetProperty("actorName").GetString());
        Assert.Equal(listener.Name, started.GetProperty("resourceName").GetString());
    }

    [Fact]
    public async Task Retention_run_is_recorded_and_prunes_old_entries_in_batches()
    {
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var marker = "old-" + Guid.NewGuid().ToString("N")[..6];
        await portal.WithDbAsync(async db =>
        {
            for (var i = 0; i < 5; i++)
            {
                db.AuditEntries.Add(new AuditEntry { TimeUtc = now.AddDays(-400 - i), Action = "integration.updated", ResourceType = "integration", ResourceName = marker, ActorKind = "user", ActorName = "old@test.local" });
            }

            db.AuditEntries.Add(new AuditEntry { TimeUtc = now.AddDays(-10), Action = "integration.updated", ResourceType = "integration", ResourceName = marker + "-recent", ActorKind = "user", ActorName = "old@test.local" });
            return await db.SaveChangesAsync();
        });

        var retention = await portal.RunRetentionAsync(Admin());

        Assert.Equal(5, retention.Deleted("audit entry", "audit entries"));
        Assert.Equal([marker + "-recent"], await portal.WithDbAsync(db => db.AuditEntries.Where(e => e.ResourceName!.StartsWith(marker)).Select(e => e.ResourceName!).ToListAsync()));
        var run = (await EntriesAsync("action=retention.run")).First();
        AssertAdmin(run);
        // The entry names the run it records.
        Assert.Equal(retention.GetProperty("id").GetString(), run.GetProperty("resourceId").GetString());
        Assert.Contains("5 audit entries", run.GetProperty("summary").GetString());
    }

    [Fact]
    public async Task The_api_is_for_administrators_only()
    {
        var support = await portal.AsSupportAsync();
        var supportKey = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Support));
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber));
        var adminKey = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Admin));

        foreach (var path in new[] { "/api/audit", "/api/audit/export?format=csv" })
        {
            Assert.Equal(HttpStatusCode.OK, (await portal.AsAdmin().GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await adminKey.GetAsync(path)).StatusCode);
            await (await support.GetAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
            await (await supportKey.GetAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
            await (await subscriber.GetAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
            await (await portal.Anonymous().GetAsync(path)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task The_page_and_its_download_take_an_administrators_cookie()
    {
        await portal.EnsureUserAsync(PortalFactory.SupportEmail, PortalFactory.SupportPassword, PortalRoles.Support);
        var admin = await portal.SignInWithCookieAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        var support = await portal.SignInWithCookieAsync(PortalFactory.SupportEmail, PortalFactory.SupportPassword);

        var page = await admin.GetAsync("/audit");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Audit", await page.Content.ReadAsStringAsync());
        var download = await admin.GetAsync("/audit/export?format=csv");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.StartsWith("id,time,actorKind", await download.Content.ReadAsStringAsync());

        foreach (var path in new[] { "/audit", "/audit/export?format=csv" })
        {
            var denied = await support.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
            Assert.StartsWith("/Account/AccessDenied", denied.RedirectPath());
            var anonymous = await portal.Anonymous().GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.StartsWith("/Account/Login", anonymous.RedirectPath());
        }

        // API credentials do not open the page (pages take only the cookie).
        var byBasic = await portal.AsAdmin().GetAsync("/audit");
        Assert.Equal(HttpStatusCode.Redirect, byBasic.StatusCode);
    }

    [Theory]
    [InlineData("from=yesterday")]
    [InlineData("to=2026-13-45")]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=501")]
    [InlineData("page=0")]
    [InlineData("page=abc")]
    [InlineData("resource=spaceship")]
    [InlineData("from=2026-11-23T00:00:00Z&to=2026-11-22T00:00:00Z")]
    public async Task Bad_inputs_are_problem_details(string query)
    {
        var problem = await (await portal.AsAdmin().GetAsync("/api/audit?" + query)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_bad_export_format_or_date_is_a_problem()
    {
        await (await portal.AsAdmin().GetAsync("/api/audit/export?format=xml")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await portal.AsAdmin().GetAsync("/api/audit/export?from=never")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await portal.AsAdmin().GetAsync($"/api/audit/{long.MaxValue}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Filters_paging_and_exports_agree()
    {
        var names = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var name = $"Paged-{i}-" + Guid.NewGuid().ToString("N")[..6];
            names.Add(name);
            await (await Admin().PostAsJsonAsync("/api/integrations", new { name })).ReadJsonAsync(HttpStatusCode.Created);
        }

        var first = await (await portal.AsAdmin().GetAsync($"/api/audit?q=paged-&action=integration.created&resource=integration&actor=ADMIN@test&pageSize=2&page=1")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(first.GetProperty("total").GetInt32() >= 3);
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        var second = await (await portal.AsAdmin().GetAsync($"/api/audit?q=paged-&action=integration&pageSize=2&page=2")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.NotEqual(first.GetProperty("items")[0].GetProperty("id").GetInt64(), second.GetProperty("items")[0].GetProperty("id").GetInt64());
        // Newest first.
        Assert.Equal(names[2], first.GetProperty("items")[0].GetProperty("resourceName").GetString());

        var none = await (await portal.AsAdmin().GetAsync($"/api/audit?q=paged-&actor=someone-else")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, none.GetProperty("total").GetInt32());
        var future = await (await portal.AsAdmin().GetAsync($"/api/audit?q=paged-&from=2099-01-01T00:00:00Z")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, future.GetProperty("total").GetInt32());

        var csv = await portal.AsAdmin().GetAsync($"/api/audit/export?format=csv&q={names[1]}");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(names[1], lines[1]);
        Assert.Contains("integration.created", lines[1]);

        var json = await (await portal.AsAdmin().GetAsync($"/api/audit/export?format=json&q={names[2]}")).ReadJsonAsync(HttpStatusCode.OK);
        var row = Assert.Single(json.EnumerateArray());
        Assert.Equal(names[2], row.GetProperty("after").GetProperty("name").GetString());
        Assert.Equal(Address, row.GetProperty("address").GetString());
    }
}
