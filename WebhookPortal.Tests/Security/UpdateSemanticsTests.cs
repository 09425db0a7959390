using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>The portal with a log that tests can read (warnings included).</summary>
public sealed class LoggingPortalFactory : PortalFactory
{
    public CapturedLog Log { get; } = new();

    protected override void ConfigurePortal(IWebHostBuilder builder) => builder.ConfigureLogging(logging => logging.AddProvider(Log));
}

public sealed record CapturedEntry(string Category, LogLevel Level, string Message);

public sealed class CapturedLog : ILoggerProvider
{
    public ConcurrentQueue<CapturedEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue(new CapturedEntry(category, logLevel, formatter(state, exception)));
            }
        }
    }
}

/// <summary>
/// Trust boundary: an update never weakens security. Every PUT of the portal follows one rule, "omitted =
/// unchanged": a field left out of the JSON keeps its value; turning listener authentication off takes an
/// explicit <c>"auth": {"method": "None"}</c>.
/// </summary>
public sealed class UpdateSemanticsTests(LoggingPortalFactory portal) : IClassFixture<LoggingPortalFactory>
{
    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<TestListener> TokenListenerAsync(int? retentionDays = 30)
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Token" }, retentionDays: retentionDays);
        var admin = portal.AsAdmin();
        await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body("""{"script":"(body) => body"}"""))).ReadJsonAsync(HttpStatusCode.OK);
        return listener;
    }

    private async Task<JsonElement> GetListenerAsync(Guid id) =>
        await (await portal.AsAdmin().GetAsync($"/api/listeners/{id}")).ReadJsonAsync(HttpStatusCode.OK);

    private Task<Listener> StoredListenerAsync(Guid id) => portal.WithDbAsync(db => db.Listeners.AsNoTracking().SingleAsync(l => l.Id == id));

    private const string Record = """{"data":{"items":{"id":1,"name":"x"}}}""";

    [Fact]
    public async Task A_listener_put_with_only_a_name_keeps_its_token_auth_and_the_url_still_refuses_a_post_without_token()
    {
        var listener = await TokenListenerAsync();
        var before = await StoredListenerAsync(listener.Id);

        var answer = await (await portal.AsAdmin().PutAsync($"/api/listeners/{listener.Id}", Body("""{"name":"tickets"}"""))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("tickets", answer.GetProperty("name").GetString());
        var auth = (await GetListenerAsync(listener.Id)).GetProperty("auth");
        Assert.Equal("Token", auth.GetProperty("method").GetString());
        Assert.Equal("Header", auth.GetProperty("readFrom").GetString());
        Assert.Equal("X-Token", auth.GetProperty("name").GetString());
        Assert.True(auth.GetProperty("hasToken").GetBoolean());
        var after = await StoredListenerAsync(listener.Id);
        Assert.Equal(before.TokenHash, after.TokenHash);
        Assert.Equal((before.Enabled, before.RetentionDays, before.Script, before.SchemaJson), (after.Enabled, after.RetentionDays, after.Script, after.SchemaJson));

        // The URL still wants the token: nothing is stored without it.
        var refused = await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Record));
        await refused.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
        var accepted = Json(HttpMethod.Post, listener.HookPath, Record);
        accepted.Headers.Add("X-Token", listener.Token);
        await (await portal.Anonymous().SendAsync(accepted)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task Omitted_parts_of_auth_keep_theirs_and_a_null_auth_changes_nothing()
    {
        var listener = await TokenListenerAsync();
        var admin = portal.AsAdmin();

        await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body("""{"auth":null,"enabled":null}"""))).ReadJsonAsync(HttpStatusCode.OK);
        await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body("""{"auth":{"name":"X-Other-Token"}}"""))).ReadJsonAsync(HttpStatusCode.OK);

        var stored = await StoredListenerAsync(listener.Id);
        Assert.Equal((ListenerAuthMethod.Token, TokenLocation.Header, "X-Other-Token", true), (stored.AuthMethod, stored.TokenLocation, stored.TokenName, stored.Enabled));
        Assert.NotNull(stored.TokenHash);
    }

    [Fact]
    public async Task Turning_auth_off_takes_an_explicit_None_and_is_logged_as_a_warning_naming_the_listener_and_who_did_it()
    {
        var listener = await TokenListenerAsync();

        await (await portal.AsAdmin().PutAsync($"/api/listeners/{listener.Id}", Body("""{"auth":{"method":"None"}}"""))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(ListenerAuthMethod.None, (await StoredListenerAsync(listener.Id)).AuthMethod);
        var warning = Assert.Single(portal.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(listener.Id.ToString()));
        Assert.Equal(typeof(ListenerCatalog).FullName, warning.Category);
        Assert.Contains(PortalFactory.AdminEmail, warning.Message);
        Assert.Contains("turned off", warning.Message);
        Assert.DoesNotContain(listener.Token!, warning.Message);
        Assert.DoesNotContain(PortalFactory.AdminPassword, warning.Message);

        // Only the explicit None opened the URL.
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Record))).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Turning_auth_off_and_on_again_does_not_revive_the_old_token_and_the_url_refuses_everything_until_a_new_one()
    {
        // Seen: None kept the token hash, so switching back to Token silently made the old token valid again.
        var listener = await TokenListenerAsync();
        var admin = portal.AsAdmin();
        await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body("""{"auth":{"method":"None"}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Null((await StoredListenerAsync(listener.Id)).TokenHash);

        var answer = await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body("""{"auth":{"method":"Token"}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(answer.GetProperty("auth").GetProperty("hasToken").GetBoolean());
        var stored = await StoredListenerAsync(listener.Id);
        Assert.Equal(ListenerAuthMethod.Token, stored.AuthMethod);
        Assert.Null(stored.TokenHash);

        // Token auth with no token yet: the URL refuses the old token and no token alike, and stores nothing.
        var before = await portal.RecordCountAsync(listener.Id);
        var withOldToken = Json(HttpMethod.Post, listener.HookPath, Record);
        withOldToken.Headers.Add("X-Token", listener.Token);
        await (await portal.Anonymous().SendAsync(withOldToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Record))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(before, await portal.RecordCountAsync(listener.Id));

        // A new token opens it.
        var token = (await (await admin.PostAsync($"/api/listeners/{listener.Id}/token", null)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        Assert.NotEqual(listener.Token, token);
        var withNewToken = Json(HttpMethod.Post, listener.HookPath, Record);
        withNewToken.Headers.Add(answer.GetProperty("auth").GetProperty("name").GetString()!, token);
        await (await portal.Anonymous().SendAsync(withNewToken)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(before + 1, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task A_listener_put_with_a_stale_expectedUpdated_is_a_409_and_does_not_undo_the_other_change()
    {
        // Seen: a form opened before another admin turned token auth on set it back to None when saved.
        var listener = await portal.CreateListenerAsync();
        var admin = portal.AsAdmin();
        var opened = (await GetListenerAsync(listener.Id)).GetProperty("updated").GetDateTime();
        await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body("""{"auth":{"method":"Token","readFrom":"Header","name":"X-Token"}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var changed = await StoredListenerAsync(listener.Id);

        var stale = JsonSerializer.Serialize(new { name = "stale form", auth = new { method = "None" }, expectedUpdated = opened });
        var problem = await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body(stale))).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("changed by someone else", problem.GetProperty("detail").GetString());
        var after = await StoredListenerAsync(listener.Id);
        Assert.Equal((changed.Name, changed.AuthMethod, changed.UpdatedUtc), (after.Name, after.AuthMethod, after.UpdatedUtc));

        // The current version is accepted, and so is a client that sends none (as before).
        var current = (await GetListenerAsync(listener.Id)).GetProperty("updated").GetDateTime();
        var fresh = JsonSerializer.Serialize(new { name = "fresh form", expectedUpdated = current });
        await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body(fresh))).ReadJsonAsync(HttpStatusCode.OK);
        await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body("""{"name":"no version"}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(("no version", ListenerAuthMethod.Token), ((await StoredListenerAsync(listener.Id)).Name, (await StoredListenerAsync(listener.Id)).AuthMethod));
    }

    [Theory]
    [InlineData("""{"auth":{"method":"Token","readFrom":"Header","name":"Bad Header"}}""", "auth.name")]
    [InlineData("""{"auth":{"method":"Token","readFrom":"Header","name":"Authorization"}}""", "auth.name")]
    [InlineData("""{"auth":{"method":"Sometimes"}}""", "auth.method")]
    [InlineData("""{"retentionDays":0}""", "retentionDays")]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"enabled":"yes"}""", "enabled")]
    public async Task An_invalid_listener_update_is_a_400_and_changes_nothing(string body, string field)
    {
        var listener = await TokenListenerAsync();
        var before = await StoredListenerAsync(listener.Id);

        var problem = await (await portal.AsAdmin().PutAsync($"/api/listeners/{listener.Id}", Body(body))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(problem.GetProperty("errors").EnumerateObject(), e => e.Name.Equals(field, StringComparison.OrdinalIgnoreCase));
        var after = await StoredListenerAsync(listener.Id);
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(after));
    }

    [Fact]
    public async Task Null_clears_what_null_means_for_a_listener_retention_and_script()
    {
        var listener = await TokenListenerAsync(retentionDays: 7);

        await (await portal.AsAdmin().PutAsync($"/api/listeners/{listener.Id}", Body("""{"retentionDays":null,"script":null}"""))).ReadJsonAsync(HttpStatusCode.OK);

        var stored = await StoredListenerAsync(listener.Id);
        Assert.Null(stored.RetentionDays);
        Assert.Null(stored.Script);
        Assert.Equal(ListenerAuthMethod.Token, stored.AuthMethod);
    }

    [Fact]
    public async Task A_seed_api_webhook_put_with_only_a_name_keeps_url_headers_filter_enabled_and_secret()
    {
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var admin = portal.AsAdmin();
        var created = await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks",
            Body("""{"name":"billing","postURL":"https://billing.example.com/h","enabled":false,"eventTypes":["invoice.paid"],"headers":{"X-Api-Key":"k-123"}}"""))).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        var secret = (await (await admin.GetAsync($"/api/webhooks/{id}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString();

        var updated = await (await admin.PutAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("""{"name":"billing-v2"}"""))).ReadJsonAsync(HttpStatusCode.OK);

        // The seed's response shape, with every other field as it was.
        foreach (var field in new[] { "created", "createdBy", "enabled", "id", "name", "orgId", "postUrl", "updated", "updatedBy" })
        {
            Assert.True(updated.TryGetProperty(field, out _), field);
        }

        Assert.Equal("billing-v2", updated.GetProperty("name").GetString());
        Assert.Equal("https://billing.example.com/h", updated.GetProperty("postUrl").GetString());
        Assert.False(updated.GetProperty("enabled").GetBoolean());
        Assert.Equal(["invoice.paid"], updated.GetProperty("eventTypes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("k-123", updated.GetProperty("headers").GetProperty("X-Api-Key").GetString());
        Assert.Equal(secret, (await (await admin.GetAsync($"/api/webhooks/{id}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString());

        // A bad value is refused and changes nothing.
        await (await admin.PutAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("""{"postURL":"not a url"}"""))).AssertProblemAsync(HttpStatusCode.BadRequest);
        var again = await (await admin.GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("https://billing.example.com/h", again.GetProperty("postUrl").GetString());
    }

    [Fact]
    public async Task A_notification_rule_put_with_only_a_name_keeps_listener_target_conditions_webhooks_and_enabled()
    {
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var admin = portal.AsAdmin();
        var webhookId = (await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"usage","postURL":"https://usage.example.invalid/cb"}"""))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var rules = $"/api/integrations/{listener.IntegrationId}/notification-rules";
        var created = await (await admin.PostAsJsonAsync(rules, new
        {
            name = "quota", listenerId = listener.Id, target = 500, period = "Week", conditions = new[] { new { from = 80, to = 100, step = 10 } }, webhookIds = new[] { webhookId }, enabled = false,
        })).ReadJsonAsync(HttpStatusCode.Created);
        var ruleId = created.GetProperty("id").GetGuid();

        var updated = await (await admin.PutAsync($"{rules}/{ruleId}", Body("""{"name":"quota-renamed"}"""))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("quota-renamed", updated.GetProperty("name").GetString());
        Assert.Equal(listener.Id, updated.GetProperty("listenerId").GetGuid());
        Assert.Equal(500, updated.GetProperty("target").GetInt64());
        Assert.Equal("Week", updated.GetProperty("period").GetString());
        Assert.False(updated.GetProperty("enabled").GetBoolean());
        Assert.Equal([webhookId], updated.GetProperty("webhookIds").EnumerateArray().Select(w => w.GetGuid()));
        Assert.Equal([80m, 90m, 100m], updated.GetProperty("conditions")[0].GetProperty("thresholds").EnumerateArray().Select(t => t.GetDecimal()));

        // listenerId sent as null means "the whole integration"; a bad value is refused and changes nothing.
        var whole = await (await admin.PutAsync($"{rules}/{ruleId}", Body("""{"listenerId":null}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, whole.GetProperty("listenerId").ValueKind);
        await (await admin.PutAsync($"{rules}/{ruleId}", Body("""{"target":0}"""))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(500, (await (await admin.GetAsync($"{rules}/{ruleId}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("target").GetInt64());
    }

    [Fact]
    public async Task An_event_type_put_with_only_a_name_keeps_listener_actions_script_description_and_enabled()
    {
        var listener = await portal.CreateListenerAsync();
        var admin = portal.AsAdmin();
        var created = await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types", new
        {
            name = "NewOrder", description = "An order arrived", listenerId = listener.Id, actions = new[] { "insert", "update" }, script = "(record) => ({ id: record.id })", enabled = false,
        })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();

        var updated = await (await admin.PutAsync($"/api/event-types/{id}", Body("""{"name":"OrderPlaced"}"""))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("OrderPlaced", updated.GetProperty("name").GetString());
        Assert.Equal("An order arrived", updated.GetProperty("description").GetString());
        Assert.Equal(listener.Id, updated.GetProperty("listenerId").GetGuid());
        Assert.Equal(["insert", "update"], updated.GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("(record) => ({ id: record.id })", updated.GetProperty("script").GetString());
        Assert.False(updated.GetProperty("enabled").GetBoolean());

        await (await admin.PutAsync($"/api/event-types/{id}", Body("""{"actions":["explode"]}"""))).AssertProblemAsync(HttpStatusCode.BadRequest);
        var again = await (await admin.GetAsync($"/api/event-types/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["insert", "update"], again.GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task An_integration_put_with_only_a_name_keeps_its_description()
    {
        var admin = portal.AsAdmin();
        var created = await (await admin.PostAsJsonAsync("/api/integrations", new { name = "Sales-" + Guid.NewGuid().ToString("N")[..6], description = "Sales CRM" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        var name = "Renamed-" + Guid.NewGuid().ToString("N")[..6];

        var updated = await (await admin.PutAsync($"/api/integrations/{id}", Body($$"""{"name":"{{name}}"}"""))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(name, updated.GetProperty("name").GetString());
        Assert.Equal("Sales CRM", updated.GetProperty("description").GetString());
        var cleared = await (await admin.PutAsync($"/api/integrations/{id}", Body("""{"description":null}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("description").ValueKind);
        await (await admin.PutAsync($"/api/integrations/{id}", Body("""{"name":"a/b"}"""))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(name, (await (await admin.GetAsync($"/api/integrations/{id}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_user_put_with_only_a_password_keeps_role_and_lock()
    {
        var admin = portal.AsAdmin();
        var email = $"u{Guid.NewGuid():N}"[..12] + "@test.local";
        var created = await (await admin.PostAsJsonAsync("/api/users", new { email, password = "First-Pass-1", role = "Support" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString();
        await (await admin.PutAsJsonAsync($"/api/users/{id}", new { locked = true })).ReadJsonAsync(HttpStatusCode.OK);

        var updated = await (await admin.PutAsJsonAsync($"/api/users/{id}", new { password = "Second-Pass-2" })).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("Support", updated.GetProperty("role").GetString());
        Assert.True(updated.GetProperty("lockedOut").GetBoolean());
        await (await admin.PutAsJsonAsync($"/api/users/{id}", new { role = "Owner" })).AssertProblemAsync(HttpStatusCode.BadRequest);
        var listed = (await (await admin.GetAsync("/api/users")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().Single(u => u.GetProperty("id").GetString() == id);
        Assert.Equal("Support", listed.GetProperty("role").GetString());
    }
}
