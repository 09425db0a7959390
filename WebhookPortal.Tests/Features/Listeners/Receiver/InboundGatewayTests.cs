using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Listeners.Receiver;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners.Receiver;

/// <summary>Idempotency by the sender's delivery id, form bodies, other content types, and handshakes.</summary>
public sealed class InboundGatewayTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static string Order(int id, string name) => $$$"""{"data":{"items":[{"id":{{{id}}},"name":"{{{name}}}"}]}}""";

    private async Task<TestListener> CreateAsync(object settings)
    {
        var listener = await portal.CreateListenerAsync();
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", settings)).ReadJsonAsync(HttpStatusCode.OK);
        return listener;
    }

    private async Task<HttpResponseMessage> PostAsync(TestListener listener, string body, string? deliveryId = null, string header = "X-GitHub-Delivery")
    {
        var request = Json(HttpMethod.Post, listener.HookPath, body);
        if (deliveryId is not null)
        {
            request.Headers.Add(header, deliveryId);
        }

        return await portal.Anonymous().SendAsync(request);
    }

    private async Task<JsonElement[]> LogsOfAsync(TestListener listener) =>
        (await portal.LogsAsync($"sourceId={listener.Id}&pageSize=50")).GetProperty("items").EnumerateArray().ToArray();

    private async Task<string?> NameOfAsync(TestListener listener, int id) =>
        (await portal.RecordsAsync(listener.Id)).GetProperty("items").EnumerateArray().Where(r => r.GetProperty("id").GetInt32() == id).Select(r => r.GetProperty("name").GetString()).SingleOrDefault();

    [Fact]
    public async Task A_repeated_delivery_id_answers_the_original_status_without_applying_the_body()
    {
        var listener = await CreateAsync(new { idempotencyHeader = "X-GitHub-Delivery" });

        var first = await (await PostAsync(listener, Order(1, "first"), "d-1")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, first.GetProperty("inserted").GetInt32());
        var repeat = await (await PostAsync(listener, Order(1, "changed"), "d-1")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.True(repeat.GetProperty("duplicate").GetBoolean());
        Assert.Equal(0, repeat.GetProperty("updated").GetInt32());
        Assert.Equal("first", await NameOfAsync(listener, 1));
        var logs = await LogsOfAsync(listener);
        Assert.Equal(2, logs.Length);
        var duplicate = logs.Single(l => l.GetProperty("duplicate").GetBoolean());
        Assert.Equal("success", duplicate.GetProperty("state").GetString());
        Assert.Contains("Duplicate: X-GitHub-Delivery 'd-1'", duplicate.GetProperty("note").GetString());

        // Another id, and no id at all, are applied.
        await (await PostAsync(listener, Order(1, "second"), "d-2")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("second", await NameOfAsync(listener, 1));
        await (await PostAsync(listener, Order(1, "third"))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("third", await NameOfAsync(listener, 1));
    }

    [Fact]
    public async Task After_the_window_the_same_id_is_applied_again()
    {
        var listener = await CreateAsync(new { idempotencyHeader = "Idempotency-Key", idempotencyWindow = "01:00:00" });
        await (await PostAsync(listener, Order(2, "first"), "k", "Idempotency-Key")).ReadJsonAsync(HttpStatusCode.OK);

        portal.Clock.Advance(TimeSpan.FromMinutes(59));
        await (await PostAsync(listener, Order(2, "too early"), "k", "Idempotency-Key")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("first", await NameOfAsync(listener, 2));

        portal.Clock.Advance(TimeSpan.FromMinutes(2));
        await (await PostAsync(listener, Order(2, "later"), "k", "Idempotency-Key")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("later", await NameOfAsync(listener, 2));
    }

    [Fact]
    public async Task A_refused_request_does_not_claim_its_delivery_id()
    {
        var listener = await CreateAsync(new { idempotencyHeader = "webhook-id" });

        await (await PostAsync(listener, """{"data":{"items":[{"id":"seven"}]}}""", "m-1", "webhook-id")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        var retried = await (await PostAsync(listener, Order(3, "fixed"), "m-1", "webhook-id")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(1, retried.GetProperty("inserted").GetInt32());
        Assert.Equal("fixed", await NameOfAsync(listener, 3));
    }

    [Fact]
    public async Task Concurrent_repeats_apply_once()
    {
        var listener = await CreateAsync(new { idempotencyHeader = "X-GitHub-Delivery" });

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => PostAsync(listener, Order(100 + i, "n" + i), "same")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var bodies = await Task.WhenAll(answers.Select(a => a.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Equal(1, bodies.Sum(b => b.GetProperty("inserted").GetInt32()));
        Assert.Equal(19, bodies.Count(b => b.TryGetProperty("duplicate", out _)));
        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task A_form_body_is_stored_as_a_flat_object_of_strings()
    {
        var listener = await portal.CreateListenerAsync(sample: """{"id":"1","name":"x","city":"y"}""", rootPath: "");
        var form = new FormUrlEncodedContent([new("id", "7"), new("name", "hello world & more"), new("city", "Köln")]);

        var answer = await (await portal.Anonymous().PostAsync(listener.HookPath, form)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(1, answer.GetProperty("inserted").GetInt32());
        var record = (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0];
        Assert.Equal("hello world & more", record.GetProperty("name").GetString());
        Assert.Equal("Köln", record.GetProperty("city").GetString());
    }

    [Fact]
    public void Repeated_form_keys_become_arrays()
    {
        var json = Encoding.UTF8.GetString(BodyFormats.FormToJson(Encoding.UTF8.GetBytes("a=1&b=x+y&a=2&c=&d=%26")));

        Assert.Equal("""{"a":["1","2"],"b":"x y","c":"","d":"\u0026"}""", json);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/xml")]
    public async Task Other_content_types_get_415_with_the_accepted_list(string contentType)
    {
        var listener = await portal.CreateListenerAsync();
        var content = new StringContent("id=1", Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        var problem = await (await portal.Anonymous().PostAsync(listener.HookPath, content)).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);

        Assert.Contains("application/x-www-form-urlencoded", problem.GetProperty("detail").GetString());
        Assert.Equal(3, problem.GetProperty("accepted").GetArrayLength());
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task Slack_url_verification_echoes_the_challenge_once_signed_and_stores_nothing()
    {
        const string secret = "slack-signing-secret";
        var listener = await portal.CreateListenerAsync(auth: new { method = "Slack", secret });
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { handshake = "Slack" })).ReadJsonAsync(HttpStatusCode.OK);
        const string body = """{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}""";
        var ts = portal.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = "v0=" + Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{ts}:{body}"))).ToLowerInvariant();

        var unsigned = await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, body));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);

        var request = Json(HttpMethod.Post, listener.HookPath, body);
        request.Headers.Add("X-Slack-Signature", signature);
        request.Headers.Add("X-Slack-Request-Timestamp", ts);
        var answer = await (await portal.Anonymous().SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", answer.GetProperty("challenge").GetString());
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
        var logged = (await LogsOfAsync(listener)).First();
        Assert.Equal(200, logged.GetProperty("status").GetInt32());
        Assert.StartsWith("Handshake (Slack url_verification)", logged.GetProperty("note").GetString());
    }

    [Fact]
    public async Task A_hub_challenge_is_answered_with_the_right_verify_token_only()
    {
        var listener = await CreateAsync(new { handshake = "HubChallenge", verifyToken = "meta-verify-123" });

        var answer = await portal.Anonymous().GetAsync($"{listener.HookPath}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meta-verify-123");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("text/plain", answer.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1158201444", await answer.Content.ReadAsStringAsync());

        var wrong = await portal.Anonymous().GetAsync($"{listener.HookPath}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess");
        await wrong.AssertProblemAsync(HttpStatusCode.Forbidden);
        var plainGet = await portal.Anonymous().GetAsync(listener.HookPath);
        await plainGet.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);

        var logs = await LogsOfAsync(listener);
        Assert.Contains(logs, l => l.GetProperty("status").GetInt32() == 200 && l.GetProperty("note").GetString()!.StartsWith("Handshake (hub challenge)", StringComparison.Ordinal));
        Assert.All(logs, l => Assert.DoesNotContain("meta-verify-123", l.GetProperty("path").GetString(), StringComparison.Ordinal));
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));

        var view = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("HubChallenge", view.GetProperty("handshake").GetString());
        Assert.True(view.GetProperty("hasVerifyToken").GetBoolean());
        Assert.DoesNotContain("meta-verify-123", view.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_graph_validation_token_is_echoed_as_text()
    {
        var listener = await CreateAsync(new { handshake = "GraphValidation" });

        var answer = await portal.Anonymous().PostAsync($"{listener.HookPath}?validationToken=Validation%3A%20Testing%20client%20application", null);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("text/plain", answer.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Validation: Testing client application", await answer.Content.ReadAsStringAsync());
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));

        // Without the handshake chosen, the same request is just a request (no body: 415).
        var other = await portal.CreateListenerAsync();
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await portal.Anonymous().PostAsync($"{other.HookPath}?validationToken=x", null)).StatusCode);
    }

    public static TheoryData<string, string> BadSettings => new()
    {
        { """{"handshake":"HubChallenge"}""", "verifyToken" },
        { """{"idempotencyHeader":"not a header"}""", "idempotencyHeader" },
        { """{"idempotencyHeader":"X-Id","idempotencyWindow":"00:00:10"}""", "idempotencyWindow" },
        { """{"idempotencyHeader":"X-Id","idempotencyWindow":"forever"}""", "idempotencyWindow" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Bad_gateway_settings_are_refused_and_change_nothing(string body, string field)
    {
        var listener = await portal.CreateListenerAsync();

        var problem = await (await portal.AsAdmin().PutAsync($"/api/listeners/{listener.Id}", new StringContent(body, Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        var view = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("None", view.GetProperty("handshake").GetString());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("idempotencyHeader").ValueKind);
    }

    [Fact]
    public async Task Replaying_a_duplicate_or_a_logged_form_applies_it()
    {
        var listener = await portal.CreateListenerAsync(sample: """{"id":"1","name":"x"}""", rootPath: "");
        await (await portal.Anonymous().PostAsync(listener.HookPath, new FormUrlEncodedContent([new("id", "9"), new("name", "form")]))).ReadJsonAsync(HttpStatusCode.OK);
        var entry = (await LogsOfAsync(listener)).First();

        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { name = listener.Name })).ReadJsonAsync(HttpStatusCode.OK);
        var replay = await (await portal.AsAdmin().PostAsync($"/api/logs/{entry.GetProperty("id").GetInt64()}/replay", null)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(200, replay.GetProperty("status").GetInt32());
        var replayed = (await LogsOfAsync(listener)).First();
        Assert.Equal(entry.GetProperty("id").GetInt64(), replayed.GetProperty("replayOfId").GetInt64());
    }

    [Fact]
    public async Task A_form_body_goes_through_the_script_as_the_flat_object()
    {
        var listener = await portal.CreateListenerAsync(sample: """{"id":"1","name":"x","city":"y"}""", rootPath: "");
        // The script sees the form as an object of strings, a repeated key as an array.
        const string script = "(body) => ({ id: body.id, name: body.name.toUpperCase() + '|' + body.tag.join(','), city: Array.isArray(body.tag) + ':' + typeof body.id })";
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { script })).ReadJsonAsync(HttpStatusCode.OK);
        var form = new StringContent("id=5&name=ann+lee&tag=a&tag=b%26c", Encoding.UTF8, "application/x-www-form-urlencoded");

        var answer = await (await portal.Anonymous().PostAsync(listener.HookPath, form)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(1, answer.GetProperty("inserted").GetInt32());
        var record = (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0];
        Assert.Equal("5", record.GetProperty("id").GetString());
        Assert.Equal("ANN LEE|a,b&c", record.GetProperty("name").GetString());
        Assert.Equal("true:string", record.GetProperty("city").GetString());
        var entry = (await LogsOfAsync(listener)).First();
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("hub.mode=unsubscribe&hub.challenge=42&hub.verify_token=hub-verify-456", 400, "malformed")]
    [InlineData("hub.mode=&hub.challenge=42&hub.verify_token=hub-verify-456", 400, "malformed")]
    [InlineData("hub.mode=subscribe&hub.verify_token=hub-verify-456", 400, "malformed")]
    [InlineData("hub.mode=subscribe&hub.challenge=42&hub.verify_token=hub-verify-457", 403, "wrong verify token")]
    [InlineData("hub.mode=subscribe&hub.challenge=42", 403, "wrong verify token")]
    public async Task A_bad_hub_challenge_is_refused_logged_and_stores_nothing(string query, int status, string why)
    {
        var listener = await CreateAsync(new { handshake = "HubChallenge", verifyToken = "hub-verify-456" });

        var answer = await portal.Anonymous().GetAsync($"{listener.HookPath}?{query}");

        await answer.AssertProblemAsync((HttpStatusCode)status);
        Assert.DoesNotContain("42", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
        var entry = Assert.Single(await LogsOfAsync(listener));
        Assert.Equal(status, entry.GetProperty("status").GetInt32());
        Assert.Equal("error", entry.GetProperty("state").GetString());
        Assert.Equal($"Handshake (hub challenge) refused: {why}.", entry.GetProperty("note").GetString());
        Assert.DoesNotContain("hub-verify-45", entry.GetProperty("path").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_graph_validation_is_logged_as_a_handshake()
    {
        var listener = await CreateAsync(new { handshake = "GraphValidation" });

        var answer = await portal.Anonymous().PostAsync($"{listener.HookPath}?validationToken=graph-check-1", null);

        Assert.Equal("graph-check-1", await answer.Content.ReadAsStringAsync());
        var entry = Assert.Single(await LogsOfAsync(listener));
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        Assert.Equal("success", entry.GetProperty("state").GetString());
        Assert.Equal("POST", entry.GetProperty("method").GetString());
        Assert.Equal("Handshake (Microsoft Graph validation): answered with the validation token.", entry.GetProperty("note").GetString());
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task Retention_removes_expired_delivery_ids_and_keeps_live_ones()
    {
        // An odd start, so this test's expiry times are its own.
        portal.Clock.Advance(TimeSpan.FromMilliseconds(7_123));
        var hourly = await CreateAsync(new { idempotencyHeader = "Idempotency-Key", idempotencyWindow = "01:00:00" });
        var daily = await CreateAsync(new { idempotencyHeader = "Idempotency-Key" });
        var startMs = portal.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await (await PostAsync(hourly, Order(30, "hourly"), "ret-1", "Idempotency-Key")).ReadJsonAsync(HttpStatusCode.OK);
        await (await PostAsync(daily, Order(31, "daily"), "ret-1", "Idempotency-Key")).ReadJsonAsync(HttpStatusCode.OK);
        var hourKey = startMs + (long)TimeSpan.FromHours(1).TotalMilliseconds;
        var dayKey = startMs + (long)TimeSpan.FromHours(24).TotalMilliseconds;
        Assert.Equal(1, await portal.WithDbAsync(db => db.IdempotencyKeys.CountAsync(k => k.ExpiresAtMs == hourKey)));
        Assert.Equal(1, await portal.WithDbAsync(db => db.IdempotencyKeys.CountAsync(k => k.ExpiresAtMs == dayKey)));

        portal.Clock.Advance(TimeSpan.FromMinutes(61));
        WebhookPortal.Features.Listeners.RetentionReport report;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            report = await scope.ServiceProvider.GetRequiredService<WebhookPortal.Features.Listeners.RetentionService>().RunAsync();
        }

        Assert.True(report.IdempotencyKeysDeleted >= 1, report.IdempotencyKeysDeleted.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var nowMs = portal.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(0, await portal.WithDbAsync(db => db.IdempotencyKeys.CountAsync(k => k.ExpiresAtMs <= nowMs)));
        Assert.Equal(0, await portal.WithDbAsync(db => db.IdempotencyKeys.CountAsync(k => k.ExpiresAtMs == hourKey)));
        Assert.Equal(1, await portal.WithDbAsync(db => db.IdempotencyKeys.CountAsync(k => k.ExpiresAtMs == dayKey)));

        // The live id still answers as a duplicate; the expired one is applied again.
        var repeat = await (await PostAsync(daily, Order(31, "changed"), "ret-1", "Idempotency-Key")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(repeat.GetProperty("duplicate").GetBoolean());
        Assert.Equal("daily", await NameOfAsync(daily, 31));
        await (await PostAsync(hourly, Order(30, "again"), "ret-1", "Idempotency-Key")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("again", await NameOfAsync(hourly, 30));
    }
}
