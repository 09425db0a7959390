using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: a Subscriber API key (a REST-hook client such as Zapier). It opens /api/hooks/* only, for the
/// integrations chosen when it was created, sees and manages only its own subscriptions, and holds a bounded number.
/// </summary>
public sealed class SubscriberKeyTests(SubscriberKeyTests.Portal portal) : IClassFixture<SubscriberKeyTests.Portal>
{
    private const int Cap = 3;
    private const string Sample = """[{"id":1,"name":"Deal"}]""";

    public sealed class Portal : PortalFactory
    {
        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            builder.UseSetting("ApiKeys:MaxSubscriptionsPerKey", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("ApiKeys:PerformListPerMinute", PerformListPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private const int PerformListPerMinute = 5;

    private sealed record Event(Guid IntegrationId, Guid EventTypeId, string Name, TestListener Listener);

    private async Task<Event> EventAsync(string? name = null)
    {
        var listener = await portal.CreateListenerAsync(sample: Sample, rootPath: "");
        name ??= "Ev" + Guid.NewGuid().ToString("N")[..8];
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types",
            new { name, listenerId = listener.Id, actions = new[] { "insert" }, enabled = true })).ReadJsonAsync(HttpStatusCode.Created);
        return new Event(listener.IntegrationId, created.GetProperty("id").GetGuid(), name, listener);
    }

    private async Task<HttpClient> KeyAsync(string role, params Guid[] integrationIds) => (await KeyWithIdAsync(role, integrationIds)).Client;

    private async Task<(Guid Id, HttpClient Client)> KeyWithIdAsync(string role, params Guid[] integrationIds)
    {
        object body = integrationIds.Length == 0 ? new { name = role.ToLowerInvariant(), role } : new { name = role.ToLowerInvariant(), role, integrationIds };
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", body)).ReadJsonAsync(HttpStatusCode.Created);
        return (created.GetProperty("id").GetGuid(), portal.WithBearer(created.GetProperty("key").GetString()!));
    }

    private static Task<HttpResponseMessage> SubscribeAsync(HttpClient client, string eventName, Guid? integrationId = null) =>
        client.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = eventName, target_url = "https://hooks.example.com/" + Guid.NewGuid().ToString("N"), integrationId });

    private Task<int> SubscriptionCountAsync() => portal.WithDbAsync(db => db.Subscriptions.CountAsync());

    private Task<(int Keys, int Scopes)> KeyCountsAsync() => portal.WithDbAsync(async db => (await db.ApiKeys.CountAsync(), await db.ApiKeyIntegrations.CountAsync()));

    [Theory]
    [InlineData("""{"name":"zap","role":"Subscriber"}""", "integrationIds")]
    [InlineData("""{"name":"zap","role":"Subscriber","integrationIds":[]}""", "integrationIds")]
    [InlineData("""{"name":"zap","role":"Subscriber","integrationIds":["00000000-0000-0000-0000-000000000001"]}""", "no integration with id 00000000-0000-0000-0000-000000000001")]
    [InlineData("""{"name":"zap","role":"Subscriber","integrationIds":["KNOWN","00000000-0000-0000-0000-000000000002"]}""", "no integration with id 00000000-0000-0000-0000-000000000002")]
    [InlineData("""{"name":"ci","role":"Admin","integrationIds":["KNOWN"]}""", "only Subscriber keys")]
    [InlineData("""{"name":"ci","role":"Support","integrationIds":["KNOWN"]}""", "only Subscriber keys")]
    public async Task A_key_with_a_missing_or_wrong_scope_is_422_and_nothing_is_stored(string body, string expected)
    {
        var known = await portal.CreateIntegrationAsync();
        var before = await KeyCountsAsync();

        var response = await portal.AsAdmin().PostAsync("/api/api-keys", new StringContent(body.Replace("KNOWN", known.ToString(), StringComparison.Ordinal), Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
        Assert.Equal(before, await KeyCountsAsync());
    }

    [Fact]
    public async Task A_subscriber_key_is_created_with_its_scope_and_listed_with_it()
    {
        var first = await portal.CreateIntegrationAsync();
        var second = await portal.CreateIntegrationAsync();

        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "zapier", role = "Subscriber", integrationIds = new[] { first, second, first } })).ReadJsonAsync(HttpStatusCode.Created);

        var id = created.GetProperty("id").GetGuid();
        Assert.Equal(new HashSet<Guid> { first, second }, created.GetProperty("integrationIds").EnumerateArray().Select(e => e.GetGuid()).ToHashSet());
        Assert.Equal(2, created.GetProperty("integrationIds").GetArrayLength());
        var listed = (await (await portal.AsAdmin().GetAsync("/api/api-keys")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == id);
        Assert.Equal(new HashSet<Guid> { first, second }, listed.GetProperty("integrationIds").EnumerateArray().Select(e => e.GetGuid()).ToHashSet());
        Assert.Equal(2, await portal.WithDbAsync(db => db.ApiKeyIntegrations.CountAsync(s => s.ApiKeyId == id)));
    }

    [Fact]
    public async Task Subscribing_per_role_only_a_subscriber_key_in_scope_or_an_admin_succeeds()
    {
        var inScope = await EventAsync();
        var outOfScope = await EventAsync();
        var subscriber = await KeyAsync("Subscriber", inScope.IntegrationId);

        // Subscriber key in scope, and an Admin key: stored.
        await (await SubscribeAsync(subscriber, inScope.Name)).ReadJsonAsync(HttpStatusCode.Created);
        await (await SubscribeAsync(await KeyAsync("Admin"), outOfScope.Name)).ReadJsonAsync(HttpStatusCode.Created);
        var before = await SubscriptionCountAsync();

        // Out of scope (by name, or naming the integration) is "not found", exactly like an event that does not exist.
        var notFound = await (await SubscribeAsync(subscriber, outOfScope.Name)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal($"No event named '{outOfScope.Name}'.", notFound.GetProperty("detail").GetString());
        await (await SubscribeAsync(subscriber, outOfScope.Name, outOfScope.IntegrationId)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await SubscribeAsync(subscriber, "NoSuchEvent")).AssertProblemAsync(HttpStatusCode.NotFound);
        // Support keys read; they do not subscribe. Anonymous callers are not let in.
        await (await SubscribeAsync(await KeyAsync("Support"), inScope.Name)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await SubscribeAsync(portal.Anonymous(), inScope.Name)).AssertProblemAsync(HttpStatusCode.Unauthorized);

        Assert.Equal(before, await SubscriptionCountAsync());
    }

    [Fact]
    public async Task Perform_list_per_role_shows_only_events_in_the_keys_scope()
    {
        var inScope = await EventAsync();
        var outOfScope = await EventAsync();
        var subscriber = await KeyAsync("Subscriber", inScope.IntegrationId);

        Assert.Single((await (await subscriber.GetAsync($"/api/hooks/perform-list?event={inScope.Name}")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        await (await subscriber.GetAsync($"/api/hooks/perform-list?event={outOfScope.Name}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await subscriber.GetAsync($"/api/hooks/perform-list?event={outOfScope.Name}&integrationId={outOfScope.IntegrationId}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Single((await (await (await KeyAsync("Admin")).GetAsync($"/api/hooks/perform-list?event={outOfScope.Name}")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        Assert.Single((await (await (await KeyAsync("Support")).GetAsync($"/api/hooks/perform-list?event={outOfScope.Name}")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        await (await portal.Anonymous().GetAsync($"/api/hooks/perform-list?event={inScope.Name}")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Perform_list_calls_past_the_per_minute_limit_get_429_with_retry_after()
    {
        // Seen: every call ran up to three event scripts synchronously, with no limit on how often.
        var ev = await EventAsync();
        var subscriber = await KeyAsync("Subscriber", ev.IntegrationId);
        var url = $"/api/hooks/perform-list?event={ev.Name}";
        for (var i = 0; i < PerformListPerMinute; i++)
        {
            Assert.Single((await (await subscriber.GetAsync(url)).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        }

        var before = await SubscriptionCountAsync();
        var refused = await subscriber.GetAsync(url);
        var problem = await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("try again in", problem.GetProperty("detail").GetString());
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        Assert.Equal(before, await SubscriptionCountAsync());

        // The budget is the key's own: another Subscriber key of the same scope still lists.
        Assert.Single((await (await (await KeyAsync("Subscriber", ev.IntegrationId)).GetAsync(url)).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
    }

    [Theory]
    [InlineData("Admin key")]
    [InlineData("Support key")]
    [InlineData("Support user")]
    public async Task Perform_list_is_limited_per_key_or_user_for_every_role(string caller)
    {
        var ev = await EventAsync();
        var client = caller switch
        {
            "Admin key" => await KeyAsync("Admin"),
            "Support key" => await KeyAsync("Support"),
            _ => await portal.AsSupportAsync(),
        };
        var url = $"/api/hooks/perform-list?event={ev.Name}";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= PerformListPerMinute; i++)
        {
            statuses.Add((await client.GetAsync(url)).StatusCode);
        }

        Assert.All(statuses.Take(PerformListPerMinute), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Fact]
    public async Task Anonymous_perform_list_calls_stay_401_and_spend_no_ones_budget()
    {
        var ev = await EventAsync();
        var url = $"/api/hooks/perform-list?event={ev.Name}";
        for (var i = 0; i <= PerformListPerMinute; i++)
        {
            await (await portal.Anonymous().GetAsync(url)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        Assert.Single((await (await (await KeyAsync("Subscriber", ev.IntegrationId)).GetAsync(url)).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
    }

    [Fact]
    public async Task A_subscriber_key_sees_and_deletes_only_its_own_subscriptions()
    {
        var ev = await EventAsync();
        var mine = await KeyAsync("Subscriber", ev.IntegrationId);
        var theirs = await KeyAsync("Subscriber", ev.IntegrationId);
        var id = (await (await SubscribeAsync(mine, ev.Name)).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        Assert.Empty((await (await theirs.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        await (await theirs.DeleteAsync($"/api/hooks/subscriptions/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.True(await portal.WithDbAsync(db => db.Subscriptions.AnyAsync(s => s.Id == id)));

        var listed = (await (await mine.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().Single();
        Assert.Equal(id, listed.GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.NoContent, (await mine.DeleteAsync($"/api/hooks/subscriptions/{id}")).StatusCode);
        Assert.False(await portal.WithDbAsync(db => db.Subscriptions.AnyAsync(s => s.Id == id)));
    }

    [Fact]
    public async Task A_key_over_its_subscription_cap_gets_409_and_nothing_is_stored()
    {
        var ev = await EventAsync();
        var capped = await KeyAsync("Subscriber", ev.IntegrationId);
        for (var i = 0; i < Cap; i++)
        {
            await (await SubscribeAsync(capped, ev.Name)).ReadJsonAsync(HttpStatusCode.Created);
        }

        var before = await SubscriptionCountAsync();
        var problem = await (await SubscribeAsync(capped, ev.Name)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains($"{Cap} subscriptions", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await SubscriptionCountAsync());

        // The cap is per key: another key still subscribes, and freeing one makes room again.
        await (await SubscribeAsync(await KeyAsync("Subscriber", ev.IntegrationId), ev.Name)).ReadJsonAsync(HttpStatusCode.Created);
        var first = (await (await capped.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().First().GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await capped.DeleteAsync($"/api/hooks/subscriptions/{first}")).StatusCode);
        await (await SubscribeAsync(capped, ev.Name)).ReadJsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Concurrent_subscriptions_never_pass_the_cap()
    {
        var ev = await EventAsync();
        var key = await KeyAsync("Subscriber", ev.IntegrationId);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SubscribeAsync(key, ev.Name)));

        Assert.Equal(Cap, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(10 - Cap, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(Cap, (await (await key.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).GetArrayLength());
    }

    [Theory]
    [InlineData("GET", "/api/integrations")]
    [InlineData("GET", "/api/api-keys")]
    [InlineData("GET", "/api/logs")]
    [InlineData("GET", "/api/deliveries")]
    [InlineData("GET", "/v1/mint/organizations/ORG/webhooks")]
    [InlineData("POST", "/v1/mint/organizations/ORG/webhooks")]
    [InlineData("GET", "/api/authenticate")]
    [InlineData("POST", "/api/authenticate")]
    public async Task A_subscriber_key_reaches_nothing_outside_the_hooks(string method, string path)
    {
        var ev = await EventAsync();
        var org = await portal.IntegrationNameAsync(ev.IntegrationId);
        var subscriber = await KeyAsync("Subscriber", ev.IntegrationId);
        var before = await portal.WithDbAsync(db => db.Webhooks.CountAsync());

        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("ORG", org, StringComparison.Ordinal));
        if (method == "POST")
        {
            request.Content = JsonContent.Create(new { name = "sneaky", postURL = "https://hooks.example.com/x", username = "admin@test.local", password = PortalFactory.AdminPassword });
        }

        var problem = await (await subscriber.SendAsync(request)).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("/api/hooks", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await portal.WithDbAsync(db => db.Webhooks.CountAsync()));
    }

    [Theory]
    [InlineData("/listeners")]
    [InlineData("/api-keys")]
    [InlineData("/")]
    public async Task A_subscriber_key_on_a_page_is_no_credential_at_all(string path)
    {
        var ev = await EventAsync();
        var subscriber = await KeyAsync("Subscriber", ev.IntegrationId);

        // Pages take only the sign-in cookie: the key is ignored and the browser is sent to sign in.
        var response = await subscriber.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/Login", response.Headers.Location?.PathAndQuery ?? response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_subscriber_key_from_before_scopes_reaches_no_integration()
    {
        var ev = await EventAsync();
        var scoped = await KeyAsync("Subscriber", ev.IntegrationId);
        var subscribedEarlier = (await (await SubscribeAsync(scoped, ev.Name)).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        // A key as it was stored before scopes existed: role Subscriber, no scope rows.
        var key = "wpk_00aa11bb22cc_" + Guid.NewGuid().ToString("N");
        await portal.WithDbAsync(async db =>
        {
            var legacy = new ApiKey { Id = Guid.NewGuid(), Name = "legacy", Role = "Subscriber", Prefix = "00aa11bb22cc", KeyHash = SHA256.HashData(Encoding.UTF8.GetBytes(key)), CreatedUtc = DateTime.UtcNow };
            db.ApiKeys.Add(legacy);
            await db.SaveChangesAsync();
            // It owned a subscription then; it is kept (and delivered) but no longer listed or extended.
            await db.Subscriptions.Where(s => s.Id == subscribedEarlier).ExecuteUpdateAsync(s => s.SetProperty(x => x.OwnerId, legacy.Id.ToString()));
            return 0;
        });
        var legacyClient = portal.WithBearer(key);
        var before = await SubscriptionCountAsync();

        await (await SubscribeAsync(legacyClient, ev.Name)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await legacyClient.GetAsync($"/api/hooks/perform-list?event={ev.Name}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty((await (await legacyClient.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal(before, await SubscriptionCountAsync());
    }

    [Fact]
    public async Task Revoking_a_subscriber_key_removes_its_subscriptions_and_cancels_their_deliveries_so_new_events_reach_it_no_more()
    {
        var ev = await EventAsync();
        var (revokedId, revoked) = await KeyWithIdAsync("Subscriber", ev.IntegrationId);
        var kept = await KeyAsync("Subscriber", ev.IntegrationId);
        var revokedSubscription = (await (await SubscribeAsync(revoked, ev.Name)).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var keptSubscription = (await (await SubscribeAsync(kept, ev.Name)).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var queued = await QueueDeliveryAsync(ev.IntegrationId, revokedSubscription);

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"/api/api-keys/{revokedId}")).StatusCode);

        // Seen: the subscription stayed and kept delivering to the key holder's target_url.
        Assert.False(await portal.WithDbAsync(db => db.Subscriptions.AnyAsync(s => s.Id == revokedSubscription)));
        Assert.Equal(DeliveryState.Cancelled, await portal.WithDbAsync(db => db.Deliveries.Where(d => d.Id == queued).Select(d => d.State).SingleAsync()));
        Assert.Equal(0, await portal.WithDbAsync(db => db.ApiKeyIntegrations.CountAsync(s => s.ApiKeyId == revokedId)));
        await (await revoked.GetAsync("/api/hooks/subscriptions")).AssertProblemAsync(HttpStatusCode.Unauthorized);

        // A new event: the other key's subscription gets its delivery (so the event did fire), the revoked one's target none.
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, ev.Listener.HookPath, """[{"id":2,"name":"After"}]"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetKind == DeliveryTargetKind.Subscription && d.TargetId == keptSubscription)));
        Assert.Equal([queued], await portal.WithDbAsync(db => db.Deliveries.Where(d => d.TargetId == revokedSubscription).Select(d => d.Id).ToListAsync()));
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_404_and_changes_nothing()
    {
        var ev = await EventAsync();
        await (await SubscribeAsync(await KeyAsync("Subscriber", ev.IntegrationId), ev.Name)).ReadJsonAsync(HttpStatusCode.Created);
        var before = (await KeyCountsAsync(), await SubscriptionCountAsync());

        await (await portal.AsAdmin().DeleteAsync($"/api/api-keys/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(before, (await KeyCountsAsync(), await SubscriptionCountAsync()));
    }

    [Fact]
    public async Task Revoking_per_role_only_an_admin_may_and_the_subscriptions_stay_otherwise()
    {
        var ev = await EventAsync();
        var (keyId, key) = await KeyWithIdAsync("Subscriber", ev.IntegrationId);
        var subscription = (await (await SubscribeAsync(key, ev.Name)).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var path = $"/api/api-keys/{keyId}";

        await (await (await portal.AsSupportAsync()).DeleteAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await key.DeleteAsync(path)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().DeleteAsync(path)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.True(await portal.WithDbAsync(db => db.ApiKeys.AnyAsync(k => k.Id == keyId)));
        Assert.True(await portal.WithDbAsync(db => db.Subscriptions.AnyAsync(s => s.Id == subscription)));

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync(path)).StatusCode);
        Assert.False(await portal.WithDbAsync(db => db.Subscriptions.AnyAsync(s => s.Id == subscription)));
    }

    /// <summary>A pending delivery to a subscription, due in a day so that nothing sends it while the test runs.</summary>
    private async Task<Guid> QueueDeliveryAsync(Guid integrationId, Guid subscriptionId)
    {
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var message = new Message { Id = Guid.NewGuid(), IntegrationId = integrationId, EventType = "queued", Payload = "{}", CreatedUtc = now };
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Subscription, TargetId = subscriptionId, TargetName = "queued", Url = "https://hooks.example.com/queued",
            NextAttemptUtc = now.AddDays(1), CreatedUtc = now, UpdatedUtc = now,
        };
        await portal.WithDbAsync(db =>
        {
            db.Messages.Add(message);
            db.Deliveries.Add(delivery);
            return db.SaveChangesAsync();
        });
        return delivery.Id;
    }
}
