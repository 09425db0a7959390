using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Events;

/// <summary>Seed 001's NewOpportunity trigger end to end: data tracking, payload script, REST-hook subscriptions.</summary>
public sealed class EventsTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private const string Sample = """[{"id":1,"name":"Deal","isProject":true,"amount":10.5}]""";
    private const string ProjectsOnly = "(record, action) => record.isProject ? ({ id: record.id, name: record.name, action }) : null";

    private async Task<(TestListener Listener, Guid EventTypeId, string EventName)> SetupAsync(string[] actions, string? script = ProjectsOnly)
    {
        var listener = await portal.CreateListenerAsync(sample: Sample, rootPath: "");
        var name = "NewOpportunity" + Guid.NewGuid().ToString("N")[..6];
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types",
            new { name, description = "A new opportunity", listenerId = listener.Id, actions, script, enabled = true })).ReadJsonAsync(HttpStatusCode.Created);
        return (listener, created.GetProperty("id").GetGuid(), name);
    }

    /// <summary>A Subscriber key scoped to every integration that exists now (scoping itself is tested in Security/SubscriberKeyTests).</summary>
    private async Task<HttpClient> SubscriberAsync()
    {
        var integrationIds = await portal.WithDbAsync(db => db.Integrations.Select(i => i.Id).ToListAsync());
        var key = (await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "zapier", role = "Subscriber", integrationIds })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("key").GetString()!;
        return portal.WithBearer(key);
    }

    private Task<HttpResponseMessage> PostAsync(TestListener listener, string json) => portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, json));

    [Fact]
    public async Task Inserting_a_project_delivers_the_scripts_payload_once_signed_with_the_subscription_secret()
    {
        var (listener, _, name) = await SetupAsync(["insert"]);
        await using var receiver = await LoopbackReceiver.StartAsync();
        var subscriber = await SubscriberAsync();
        var subscribed = await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = receiver.Url("/zap") })).ReadJsonAsync(HttpStatusCode.Created);
        var secret = subscribed.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(name, subscribed.GetProperty("event").GetString());

        await (await PostAsync(listener, """{"id":10,"name":"Big project","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);
        await (await PostAsync(listener, """{"id":11,"name":"Small order","isProject":false}""")).ReadJsonAsync(HttpStatusCode.OK);
        await (await PostAsync(listener, """{"id":10,"name":"Big project v2","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);
        await (await PostAsync(listener, """{"id":"bad","isProject":true}""")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);

        var request = Assert.Single(await receiver.WaitForAsync(1));
        await SettledAsync(listener);
        Assert.Single(receiver.Requests);
        Assert.Equal("""{"id":10,"name":"Big project","action":"insert"}""", request.Body);
        var timestamp = long.Parse(request.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Signer.Verify(secret, request.Headers["webhook-id"], timestamp, request.Body, request.Headers["webhook-signature"]));
    }

    [Fact]
    public async Task Update_and_delete_events_fire_on_patch_and_delete_with_the_record_as_it_was()
    {
        var (listener, _, name) = await SetupAsync(["update", "delete"], script: null);
        await using var receiver = await LoopbackReceiver.StartAsync();
        await (await portal.AsAdmin().PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = receiver.Url() })).ReadJsonAsync(HttpStatusCode.Created);

        await (await PostAsync(listener, """{"id":5,"name":"a","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Patch, listener.HookPath, """{"id":5,"name":"b"}"""))).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.Anonymous().DeleteAsync(listener.HookPath + "/5")).ReadJsonAsync(HttpStatusCode.OK);

        var requests = await receiver.WaitForAsync(2);
        await SettledAsync(listener);
        Assert.Equal(2, receiver.Requests.Count);
        var bodies = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.All(bodies, b => Assert.Equal("b", b.GetProperty("name").GetString()));
        Assert.All(bodies, b => Assert.Equal(5, b.GetProperty("id").GetInt64()));
        Assert.NotEmpty(requests);
    }

    [Fact]
    public async Task Webhooks_without_a_filter_receive_events_and_filtered_ones_only_theirs()
    {
        var (listener, _, name) = await SetupAsync(["insert"], script: null);
        await using var receiver = await LoopbackReceiver.StartAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "all", postURL = receiver.Url("/all") })).ReadJsonAsync(HttpStatusCode.Created);
        await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "other", postURL = receiver.Url("/other"), eventTypes = new[] { "SomethingElse" } })).ReadJsonAsync(HttpStatusCode.Created);

        await (await PostAsync(listener, """{"id":1,"name":"x","isProject":false}""")).ReadJsonAsync(HttpStatusCode.OK);

        var request = Assert.Single(await receiver.WaitForAsync(1));
        await SettledAsync(listener);
        Assert.Single(receiver.Requests);
        Assert.Equal("/all", request.PathAndQuery);
        Assert.Contains("\"name\":\"x\"", request.Body);
        Assert.NotNull(name);
    }

    [Fact]
    public async Task A_script_error_is_logged_and_never_fails_the_request()
    {
        var (listener, eventTypeId, name) = await SetupAsync(["insert"], script: "(record) => { throw new Error('cannot map ' + record.id); }");

        await (await PostAsync(listener, """{"id":77,"name":"x","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));
        // The script runs after the receiver's commit (never inside the writer's transaction): wait for its log entry.
        await Eventually.TrueAsync(async () => await portal.WithDbAsync(db => db.LogEntries.AnyAsync(e => e.Name == name && e.State == WebhookPortal.Features.Logs.LogState.Error)),
            "the event script's error in the log");

        var logged = await portal.LogsAsync($"name={name}&state=error");
        Assert.Contains("cannot map 77", logged.GetProperty("items")[0].GetProperty("error").GetString());
        Assert.Equal(0, await portal.WithDbAsync(db => db.Messages.CountAsync(m => m.EventType == name)));
        Assert.NotEqual(Guid.Empty, eventTypeId);
    }

    [Fact]
    public async Task A_410_answer_unsubscribes_at_once_without_retry()
    {
        var (listener, _, name) = await SetupAsync(["insert"], script: null);
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Default = new PlannedAnswer(410);
        var subscriber = await SubscriberAsync();
        var id = (await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = receiver.Url() })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        await (await PostAsync(listener, """{"id":1,"name":"x","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);
        await receiver.WaitForAsync(1);
        await Eventually.TrueAsync(async () => !await portal.WithDbAsync(db => db.Subscriptions.AnyAsync(s => s.Id == id)), "the 410 subscriber removed");
        var audited = await portal.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.ResourceId == id.ToString() && e.Action == "subscription.deleted"));
        Assert.Equal(WebhookPortal.Features.Audit.AuditActorKinds.System, audited.ActorKind);
        Assert.Contains("410 Gone", audited.Summary);
        await (await PostAsync(listener, """{"id":2,"name":"y","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);
        await SettledAsync(listener);
        Assert.Single(receiver.Requests);
        Assert.Empty((await (await subscriber.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
    }

    [Fact]
    public async Task Perform_list_returns_the_payloads_of_the_latest_records_or_of_the_sample()
    {
        var (listener, _, name) = await SetupAsync(["insert"]);
        var subscriber = await SubscriberAsync();

        var fromSample = await (await subscriber.GetAsync($"/api/hooks/perform-list?event={name}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Deal", Assert.Single(fromSample.EnumerateArray()).GetProperty("name").GetString());

        for (var i = 1; i <= 5; i++)
        {
            await (await PostAsync(listener, $$"""{"id":{{i}},"name":"n{{i}}","isProject":{{(i != 3 ? "true" : "false")}}}""")).ReadJsonAsync(HttpStatusCode.OK);
        }

        var latest = await (await subscriber.GetAsync($"/api/hooks/perform-list?event={name}")).ReadJsonAsync(HttpStatusCode.OK);
        var names = latest.EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        // The latest three records, newest first, less the one the script declines (n3).
        Assert.Equal(["n5", "n4"], names);
        await (await subscriber.GetAsync("/api/hooks/perform-list?event=NoSuchEvent")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Subscriber_keys_may_only_use_hooks_and_see_their_own_subscriptions()
    {
        var (_, eventTypeId, name) = await SetupAsync(["insert"]);
        var mine = await SubscriberAsync();
        var theirs = await SubscriberAsync();
        var id = (await (await mine.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = "https://hooks.example.com/a" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        await (await mine.GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await mine.GetAsync("/api/logs")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await mine.GetAsync($"/api/event-types/{eventTypeId}")).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Single((await (await mine.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        Assert.Empty((await (await theirs.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        await (await theirs.DeleteAsync($"/api/hooks/subscriptions/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await (await portal.AsSupportAsync()).PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = "https://hooks.example.com/s" })).AssertProblemAsync(HttpStatusCode.Forbidden);

        Assert.Equal(HttpStatusCode.NoContent, (await mine.DeleteAsync($"/api/hooks/subscriptions/{id}")).StatusCode);
        Assert.Empty((await (await mine.GetAsync("/api/hooks/subscriptions")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
    }

    [Fact]
    public async Task Event_types_are_listed_read_updated_and_deleted_with_their_subscriptions()
    {
        var (listener, id, name) = await SetupAsync(["insert"]);
        var admin = portal.AsAdmin();
        var subscriber = await SubscriberAsync();
        await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = "https://hooks.example.com/a" })).ReadJsonAsync(HttpStatusCode.Created);

        var list = await (await admin.GetAsync($"/api/integrations/{listener.IntegrationId}/event-types")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(name, Assert.Single(list.EnumerateArray()).GetProperty("name").GetString());
        var one = await (await admin.GetAsync($"/api/event-types/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["insert"], one.GetProperty("actions").EnumerateArray().Select(a => a.GetString()).ToArray());

        var updated = await (await admin.PutAsJsonAsync($"/api/event-types/{id}", new { name = name + "V2", listenerId = listener.Id, actions = new[] { "update", "delete" }, script = (string?)null, enabled = false })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(name + "V2", updated.GetProperty("name").GetString());
        Assert.Equal(["update", "delete"], updated.GetProperty("actions").EnumerateArray().Select(a => a.GetString()).ToArray());
        Assert.False(updated.GetProperty("enabled").GetBoolean());
        await (await admin.PutAsJsonAsync($"/api/event-types/{id}", new { name = "bad name!", listenerId = listener.Id, actions = new[] { "insert" } })).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(name + "V2", await portal.WithDbAsync(db => db.EventTypes.Where(e => e.Id == id).Select(e => e.Name).SingleAsync()));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/event-types/{id}")).StatusCode);
        await (await admin.GetAsync($"/api/event-types/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.DeleteAsync($"/api/event-types/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, await portal.WithDbAsync(db => db.Subscriptions.CountAsync(s => s.EventTypeId == id)));
    }

    [Fact]
    public async Task After_unsubscribing_nothing_more_is_sent_and_a_replay_fires_events_like_the_original()
    {
        var (listener, _, name) = await SetupAsync(["insert", "update"]);
        await using var receiver = await LoopbackReceiver.StartAsync();
        var subscriber = await SubscriberAsync();
        var subscription = (await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = name, target_url = receiver.Url("/zap") })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        await (await PostAsync(listener, """{"id":21,"name":"Original","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains("\"action\":\"insert\"", Assert.Single(await receiver.WaitForAsync(1)).Body);

        // Replaying the logged request runs it through the same pipeline: the record exists now, so it is an update.
        var logged = (await portal.LogsAsync($"sourceId={listener.Id}&state=success")).GetProperty("items")[0].GetProperty("id").GetInt64();
        await (await portal.AsAdmin().PostAsync($"/api/logs/{logged}/replay", null)).ReadJsonAsync(HttpStatusCode.OK);
        var replayed = await receiver.WaitForAsync(2);
        Assert.Contains("\"action\":\"update\"", replayed[1].Body);

        Assert.Equal(HttpStatusCode.NoContent, (await subscriber.DeleteAsync($"/api/hooks/subscriptions/{subscription}")).StatusCode);
        await (await PostAsync(listener, """{"id":22,"name":"After","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);
        await SettledAsync(listener);
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task A_webhook_whose_filter_names_the_event_receives_it()
    {
        var (listener, _, name) = await SetupAsync(["insert"], script: null);
        await using var receiver = await LoopbackReceiver.StartAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        await (await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "mine", postURL = receiver.Url("/mine"), eventTypes = new[] { "Other", name } })).ReadJsonAsync(HttpStatusCode.Created);

        await (await PostAsync(listener, """{"id":31,"name":"filtered in","isProject":false}""")).ReadJsonAsync(HttpStatusCode.OK);

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("/mine", request.PathAndQuery);
        Assert.Contains("filtered in", request.Body);
    }

    [Theory]
    [InlineData("""{"event":"NoSuchEvent","target_url":"https://hooks.example.com/a"}""", HttpStatusCode.NotFound)]
    [InlineData("""{"event":"EVENT","target_url":"not a url"}""", HttpStatusCode.UnprocessableEntity)]
    [InlineData("""{"event":"EVENT","target_url":"ftp://hooks.example.com/a"}""", HttpStatusCode.UnprocessableEntity)]
    [InlineData("""{"event":"EVENT","target_url":"http://169.254.169.254/latest"}""", HttpStatusCode.UnprocessableEntity)]
    public async Task Bad_subscriptions_are_refused_and_not_stored(string body, HttpStatusCode status)
    {
        var (_, _, name) = await SetupAsync(["insert"]);
        var before = await portal.WithDbAsync(db => db.Subscriptions.CountAsync());
        var response = await (await SubscriberAsync()).PostAsync("/api/hooks/subscriptions", new StringContent(body.Replace("EVENT", name, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"));
        await response.AssertProblemAsync(status);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Subscriptions.CountAsync()));
    }

    [Fact]
    public async Task Bad_event_types_are_refused_naming_the_problem()
    {
        var listener = await portal.CreateListenerAsync(sample: Sample, rootPath: "");
        var other = await portal.CreateListenerAsync(sample: Sample, rootPath: "");
        var url = $"/api/integrations/{listener.IntegrationId}/event-types";
        var admin = portal.AsAdmin();

        await (await admin.PostAsJsonAsync(url, new { name = "bad name!", listenerId = listener.Id, actions = new[] { "insert" } })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync(url, new { name = new string('x', 65), listenerId = listener.Id, actions = new[] { "insert" } })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync(url, new { name = "NoActions", listenerId = listener.Id, actions = Array.Empty<string>() })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await admin.PostAsJsonAsync(url, new { name = "WrongListener", listenerId = other.Id, actions = new[] { "insert" } })).AssertProblemAsync(HttpStatusCode.BadRequest);
        var syntax = await (await admin.PostAsJsonAsync(url, new { name = "Broken", listenerId = listener.Id, actions = new[] { "insert" }, script = "(r) => {\n  return r +;\n}" })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("line 2", syntax.GetProperty("detail").GetString());
        await (await admin.PostAsJsonAsync(url, new { name = "Dup", listenerId = listener.Id, actions = new[] { "insert" } })).ReadJsonAsync(HttpStatusCode.Created);
        await (await admin.PostAsJsonAsync(url, new { name = "Dup", listenerId = listener.Id, actions = new[] { "update" } })).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(1, await portal.WithDbAsync(db => db.EventTypes.CountAsync(e => e.IntegrationId == listener.IntegrationId)));
    }

    [Fact]
    public async Task The_test_endpoint_shows_the_payload_for_the_latest_record_or_a_given_one()
    {
        var (listener, eventTypeId, _) = await SetupAsync(["insert"]);
        await (await PostAsync(listener, """{"id":9,"name":"Latest","isProject":true}""")).ReadJsonAsync(HttpStatusCode.OK);

        var latest = await (await portal.AsAdmin().PostAsync($"/api/event-types/{eventTypeId}/test", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Latest", latest.GetProperty("payload").GetProperty("name").GetString());
        var declined = await (await portal.AsAdmin().PostAsJsonAsync($"/api/event-types/{eventTypeId}/test", new { record = new { id = 1, isProject = false }, action = "insert" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, declined.GetProperty("payload").ValueKind);

        // A draft script is tried without being saved; a broken one is a 422 with its line.
        var saved = await portal.WithDbAsync(db => db.EventTypes.Where(e => e.Id == eventTypeId).Select(e => e.Script).SingleAsync());
        var draft = await (await portal.AsAdmin().PostAsJsonAsync($"/api/event-types/{eventTypeId}/test", new { script = "(record, action) => ({ draft: record.name + '/' + action })" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Latest/insert", draft.GetProperty("payload").GetProperty("draft").GetString());
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/event-types/{eventTypeId}/test", new { script = "(record) => {\n  return record +;\n}" })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(saved, await portal.WithDbAsync(db => db.EventTypes.Where(e => e.Id == eventTypeId).Select(e => e.Script).SingleAsync()));
    }

    /// <summary>
    /// The positive sign that nothing more will arrive: every change of the listener's integration has become its
    /// messages (no pending scripted event) and every delivery of them has finished (none pending).
    /// </summary>
    private Task SettledAsync(TestListener listener) =>
        Eventually.TrueAsync(async () => await portal.WithDbAsync(async db =>
                !await db.PendingEvents.AnyAsync(p => p.IntegrationId == listener.IntegrationId) &&
                !await db.Deliveries.AnyAsync(d => d.Message!.IntegrationId == listener.IntegrationId && d.State == DeliveryState.Pending)),
            "every event and delivery of the integration finished");
}
