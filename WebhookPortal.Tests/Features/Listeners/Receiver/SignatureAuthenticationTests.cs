using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners.Receiver;

/// <summary>
/// Listeners that verify senders' signatures. Every expected signature is computed here with the framework's HMAC
/// from a fixed secret and body (or taken from the vendor's published example), never with the portal's own code.
/// </summary>
public sealed class SignatureAuthenticationTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Body = """{"data":{"items":[{"id":41,"name":"Signed"}]}}""";

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private long Now => portal.Clock.GetUtcNow().ToUnixTimeSeconds();

    private async Task<HttpResponseMessage> SendAsync(TestListener listener, string body, params (string Name, string Value)[] headers)
    {
        var request = Json(HttpMethod.Post, listener.HookPath, body);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await portal.Anonymous().SendAsync(request);
    }

    private async Task<JsonElement> LastLogAsync(TestListener listener) =>
        (await portal.LogsAsync($"name={Uri.EscapeDataString(listener.Name)}&pageSize=1")).GetProperty("items")[0];

    [Fact]
    public async Task GitHub_accepts_its_published_example_and_refuses_a_changed_byte()
    {
        // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
        var listener = await portal.CreateListenerAsync(auth: new { method = "GitHub", secret = "It's a Secret to Everybody" });
        const string expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

        // Authenticated, then refused as not JSON: the signature held.
        var accepted = await SendAsync(listener, "Hello, World!", ("X-Hub-Signature-256", expected));
        var problem = await accepted.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", problem.GetProperty("title").GetString());

        var tampered = await SendAsync(listener, "Hello, World?", ("X-Hub-Signature-256", expected));
        var refused = await tampered.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The signature does not match the body.", refused.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task GitHub_with_a_generated_secret_stores_a_signed_body_and_logs_why_others_are_refused()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "GitHub" });
        Assert.False(string.IsNullOrEmpty(listener.Secret));
        var signature = "sha256=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes(listener.Secret!), Encoding.UTF8.GetBytes(Body)));

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Hub-Signature-256", signature))).StatusCode);
        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));

        var missing = await (await SendAsync(listener, Body)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The header 'X-Hub-Signature-256' is missing.", missing.GetProperty("detail").GetString());
        var log = await LastLogAsync(listener);
        Assert.Equal(401, log.GetProperty("status").GetInt32());
        Assert.Equal("The header 'X-Hub-Signature-256' is missing.", log.GetProperty("error").GetString());

        var wrong = "sha256=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes("not-the-secret"), Encoding.UTF8.GetBytes(Body)));
        var refused = await (await SendAsync(listener, Body.Replace("Signed", "Forged", StringComparison.Ordinal), ("X-Hub-Signature-256", wrong))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.DoesNotContain(signature[7..], refused.GetRawText(), StringComparison.Ordinal);
        var records = await portal.RecordsAsync(listener.Id);
        Assert.Equal("Signed", records.GetProperty("items")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_secret_is_shown_once_and_stored_protected()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Shopify" });

        var view = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        var auth = view.GetProperty("auth");
        Assert.False(auth.TryGetProperty("secret", out _));
        Assert.True(auth.GetProperty("hasSecret").GetBoolean());
        Assert.Equal("X-Shopify-Hmac-Sha256", auth.GetProperty("name").GetString());
        Assert.Equal("base64", auth.GetProperty("encoding").GetString());
        Assert.DoesNotContain(listener.Secret!, view.GetRawText(), StringComparison.Ordinal);

        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var stored = await db.Listeners.AsNoTracking().SingleAsync(l => l.Id == listener.Id);
        Assert.NotNull(stored.SigningSecretProtected);
        Assert.DoesNotContain(listener.Secret!, stored.SigningSecretProtected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shopify_takes_a_base64_hmac_of_the_body()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Shopify", secret = "shpss_0123456789abcdef" });
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes("shpss_0123456789abcdef"), Encoding.UTF8.GetBytes(Body)));

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Shopify-Hmac-Sha256", signature))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("X-Shopify-Hmac-Sha256", "bm90IGl0"))).StatusCode);
        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task Hmac_uses_the_listeners_header_algorithm_encoding_and_prefix()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Hmac", name = "X-Legacy-Signature", algorithm = "SHA1", encoding = "base64", prefix = "sha1=", secret = "legacy-secret-1" });
        var sha1 = "sha1=" + Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes("legacy-secret-1"), Encoding.UTF8.GetBytes(Body)));
        var sha256 = "sha1=" + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes("legacy-secret-1"), Encoding.UTF8.GetBytes(Body)));

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("X-Legacy-Signature", sha256))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("X-Legacy-Signature", sha1[5..]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Legacy-Signature", sha1))).StatusCode);

        var view = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("SHA1", view.GetProperty("auth").GetProperty("algorithm").GetString());
        Assert.Equal("sha1=", view.GetProperty("auth").GetProperty("prefix").GetString());
    }

    [Fact]
    public async Task Stripe_checks_any_v1_and_the_timestamp_tolerance()
    {
        const string secret = "whsec_stripe_test_secret_123";
        var listener = await portal.CreateListenerAsync(auth: new { method = "Stripe", secret, tolerance = "00:05:00" });
        string Sign(long t, string body) => Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}")));

        var now = Now;
        var header = $"t={now},v1={Sign(now, "other")},v1={Sign(now, Body)},v0=ignored";
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("Stripe-Signature", header))).StatusCode);

        var old = now - 301;
        var stale = await (await SendAsync(listener, Body, ("Stripe-Signature", $"t={old},v1={Sign(old, Body)}"))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("outside the tolerance of 00:05:00", stale.GetProperty("detail").GetString());

        // The timestamp is signed: moving it to now breaks the signature.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("Stripe-Signature", $"t={now},v1={Sign(old, Body)}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("Stripe-Signature", "garbage"))).StatusCode);
    }

    [Fact]
    public async Task Slack_signs_version_timestamp_and_body()
    {
        const string secret = "8f742231b10e8888abcd99yyyzzz85a5";
        var listener = await portal.CreateListenerAsync(auth: new { method = "Slack", secret });
        var now = Now.ToString(CultureInfo.InvariantCulture);
        var signature = "v0=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{now}:{Body}")));

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Slack-Signature", signature), ("X-Slack-Request-Timestamp", now))).StatusCode);
        var noTimestamp = await (await SendAsync(listener, Body, ("X-Slack-Signature", signature))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The header 'X-Slack-Request-Timestamp' is missing.", noTimestamp.GetProperty("detail").GetString());

        portal.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("X-Slack-Signature", signature), ("X-Slack-Request-Timestamp", now))).StatusCode);
    }

    [Fact]
    public async Task Standard_webhooks_accepts_the_specs_example_vector()
    {
        // The Standard Webhooks / Svix published example.
        var listener = await portal.CreateListenerAsync(auth: new { method = "StandardWebhooks", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", tolerance = "1.00:00:00" });
        var example = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Encoding.UTF8.GetBytes("msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}")));
        Assert.Equal("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", example);

        // The example's timestamp is from 2021: outside any tolerance, and said so.
        var stale = await (await SendAsync(listener, "{\"test\": 2432232314}",
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"), ("webhook-signature", "v1," + example))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("outside the tolerance", stale.GetProperty("detail").GetString());

        // The same scheme now, with several signatures of which one matches.
        var now = Now.ToString(CultureInfo.InvariantCulture);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Encoding.UTF8.GetBytes($"msg_1.{now}.{Body}")));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body,
            ("webhook-id", "msg_1"), ("webhook-timestamp", now), ("webhook-signature", $"v1,bm90IHRoaXMgb25l v1,{signature}"))).StatusCode);
        var missingId = await (await SendAsync(listener, Body, ("webhook-timestamp", now), ("webhook-signature", "v1," + signature))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The header 'webhook-id' is missing.", missingId.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body,
            ("webhook-id", "msg_2"), ("webhook-timestamp", now), ("webhook-signature", "v1," + signature))).StatusCode);
    }

    [Fact]
    public async Task Standard_webhooks_generates_a_whsec_secret()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "StandardWebhooks" });

        Assert.StartsWith("whsec_", listener.Secret);
        var key = Convert.FromBase64String(listener.Secret!["whsec_".Length..]);
        var now = Now.ToString(CultureInfo.InvariantCulture);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"msg_9.{now}.{Body}")));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("webhook-id", "msg_9"), ("webhook-timestamp", now), ("webhook-signature", "v1," + signature))).StatusCode);
    }

    [Fact]
    public async Task Rotating_the_secret_keeps_the_previous_valid_for_the_overlap()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "GitHub", secret = "first-secret-1" });
        string Sign(string secret) => "sha256=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Body)));

        var rotated = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/secret", new { secret = "second-secret-2", overlap = "01:00:00" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("second-secret-2", rotated.GetProperty("secret").GetString());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Hub-Signature-256", Sign("first-secret-1")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Hub-Signature-256", Sign("second-secret-2")))).StatusCode);

        portal.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("X-Hub-Signature-256", Sign("first-secret-1")))).StatusCode);

        var generated = await (await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/secret", null)).ReadJsonAsync(HttpStatusCode.OK);
        var fresh = generated.GetProperty("secret").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Hub-Signature-256", Sign(fresh)))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/secret/expire-previous", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("X-Hub-Signature-256", Sign("second-secret-2")))).StatusCode);
    }

    [Fact]
    public async Task Only_admins_rotate_or_expire_secrets()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "GitHub", secret = "role-secret-1" });
        var support = await portal.AsSupportAsync();
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: listener.IntegrationId));

        foreach (var path in new[] { "secret", "secret/expire-previous" })
        {
            await (await support.PostAsync($"/api/listeners/{listener.Id}/{path}", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
            await (await subscriber.PostAsync($"/api/listeners/{listener.Id}/{path}", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
            await (await portal.Anonymous().PostAsync($"/api/listeners/{listener.Id}/{path}", null)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var sign = "sha256=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes("role-secret-1"), Encoding.UTF8.GetBytes(Body)));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Hub-Signature-256", sign))).StatusCode);
        var admin = await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/secret", null);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);

        var token = await portal.CreateListenerAsync(auth: new { method = "Token" });
        await (await portal.AsAdmin().PostAsync($"/api/listeners/{token.Id}/secret", null)).AssertProblemAsync(HttpStatusCode.Conflict);
    }

    public static TheoryData<string, string> BadSettings => new()
    {
        { """{"auth":{"method":"Hmac"}}""", "auth.name" },
        { """{"auth":{"method":"Hmac","name":"bad header"}}""", "auth.name" },
        { """{"auth":{"method":"Stripe","tolerance":"soon"}}""", "auth.tolerance" },
        { """{"auth":{"method":"Stripe","tolerance":"2.00:00:00"}}""", "auth.tolerance" },
        { """{"auth":{"method":"StandardWebhooks","secret":"whsec_not-base64!"}}""", "auth.secret" },
        { """{"auth":{"method":"GitHub","secret":"short"}}""", "auth.secret" },
        { """{"auth":{"method":"Nope"}}""", "" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Bad_signature_settings_are_refused_and_change_nothing(string body, string field)
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "GitHub", secret = "keep-this-secret" });
        var before = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);

        var problem = await (await portal.AsAdmin().PutAsync($"/api/listeners/{listener.Id}", new StringContent(body, Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest);

        if (field.Length > 0)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        }

        var after = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(before.GetProperty("updated").GetDateTime(), after.GetProperty("updated").GetDateTime());
        var sign = "sha256=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes("keep-this-secret"), Encoding.UTF8.GetBytes(Body)));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Hub-Signature-256", sign))).StatusCode);
    }

    [Fact]
    public async Task Switching_to_none_drops_the_secret_and_back_needs_a_new_one()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "GitHub", secret = "old-secret-123" });

        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { auth = new { method = "None" } })).ReadJsonAsync(HttpStatusCode.OK);
        var back = await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { auth = new { method = "GitHub" } })).ReadJsonAsync(HttpStatusCode.OK);

        var fresh = back.GetProperty("auth").GetProperty("secret").GetString()!;
        Assert.NotEqual("old-secret-123", fresh);
        var old = "sha256=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes("old-secret-123"), Encoding.UTF8.GetBytes(Body)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(listener, Body, ("X-Hub-Signature-256", old))).StatusCode);

        // An update that leaves auth out keeps the secret (and returns none).
        var renamed = await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { name = listener.Name + "-2" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(renamed.GetProperty("auth").TryGetProperty("secret", out _));
        var current = "sha256=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes(fresh), Encoding.UTF8.GetBytes(Body)));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(listener, Body, ("X-Hub-Signature-256", current))).StatusCode);
    }

    [Fact]
    public async Task The_401_log_entry_says_why_and_never_holds_the_expected_signature_or_the_secret()
    {
        const string secret = "stripe-log-secret-42";
        var listener = await portal.CreateListenerAsync(auth: new { method = "Stripe", secret, tolerance = "00:05:00" });
        string Sign(string key, long t) => Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"{t}.{Body}")));

        async Task AssertRefusedAsync(long t, string reason)
        {
            var expected = Sign(secret, t);
            var response = await SendAsync(listener, Body, ("Stripe-Signature", $"t={t},v1={Sign("a-forger-s-secret", t)}"));
            var answer = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains(reason, answer, StringComparison.Ordinal);
            Assert.DoesNotContain(expected, answer, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, answer, StringComparison.Ordinal);

            var entry = await LastLogAsync(listener);
            Assert.Equal(401, entry.GetProperty("status").GetInt32());
            Assert.Contains(reason, entry.GetProperty("error").GetString(), StringComparison.Ordinal);
            var detail = await (await portal.AsAdmin().GetAsync($"/api/logs/{entry.GetProperty("id").GetInt64()}")).ReadJsonAsync(HttpStatusCode.OK);
            var stored = detail.GetRawText();
            Assert.DoesNotContain(expected, stored, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }

        await AssertRefusedAsync(Now, "The signature does not match the body.");
        await AssertRefusedAsync(Now - 600, "is outside the tolerance of 00:05:00");
        await AssertRefusedAsync(Now + 600, "is outside the tolerance of 00:05:00");
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task A_slack_request_with_a_bad_signature_or_an_old_timestamp_is_logged_with_the_reason()
    {
        const string secret = "slack-log-secret-77";
        var listener = await portal.CreateListenerAsync(auth: new { method = "Slack", secret });
        string Sign(string key, string ts) => "v0=" + Hex(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"v0:{ts}:{Body}")));

        var now = Now.ToString(CultureInfo.InvariantCulture);
        var old = (Now - 301).ToString(CultureInfo.InvariantCulture);
        foreach (var (ts, reason) in new[] { (now, "The signature does not match the body."), (old, "outside the tolerance of 00:05:00") })
        {
            var response = await SendAsync(listener, Body, ("X-Slack-Signature", Sign("not-the-slack-secret", ts)), ("X-Slack-Request-Timestamp", ts));
            var answer = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain(Sign(secret, ts)[3..], answer, StringComparison.OrdinalIgnoreCase);

            var entry = await LastLogAsync(listener);
            Assert.Equal(401, entry.GetProperty("status").GetInt32());
            Assert.Contains(reason, entry.GetProperty("error").GetString(), StringComparison.Ordinal);
            var stored = (await (await portal.AsAdmin().GetAsync($"/api/logs/{entry.GetProperty("id").GetInt64()}")).ReadJsonAsync(HttpStatusCode.OK)).GetRawText();
            Assert.DoesNotContain(Sign(secret, ts)[3..], stored, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string> BadRotations => new()
    {
        { """{"secret":"short"}""", "secret" },
        { """{"secret":"whsec_not-base64!"}""", "secret" },
        { """{"overlap":"later"}""", "overlap" },
        { """{"overlap":"-00:00:01"}""", "overlap" },
        { """{"overlap":"40.00:00:00"}""", "overlap" },
        { """{"secret":"a-good-new-secret-1","overlap":"soon"}""", "overlap" },
    };

    [Theory]
    [MemberData(nameof(BadRotations))]
    public async Task A_bad_rotation_is_refused_and_the_secret_stays(string body, string field)
    {
        // StandardWebhooks: its secret must be whsec_ and base64, so both secret checks apply.
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var listener = await portal.CreateListenerAsync(auth: new { method = "StandardWebhooks", secret });
        string Sign(string id) => "v1," + Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret["whsec_".Length..]), Encoding.UTF8.GetBytes($"{id}.{Now}.{Body}")));
        Task<HttpResponseMessage> PushAsync(string id) => SendAsync(listener, Body, ("webhook-id", id), ("webhook-timestamp", Now.ToString(CultureInfo.InvariantCulture)), ("webhook-signature", Sign(id)));
        Assert.Equal(HttpStatusCode.OK, (await PushAsync("msg_before")).StatusCode);
        var before = await portal.WithDbAsync(db => db.Listeners.AsNoTracking().SingleAsync(l => l.Id == listener.Id));

        var problem = await (await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/secret", new StringContent(body, Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        var after = await portal.WithDbAsync(db => db.Listeners.AsNoTracking().SingleAsync(l => l.Id == listener.Id));
        Assert.Equal(before.SigningSecretProtected, after.SigningSecretProtected);
        Assert.Null(after.PreviousSigningSecretProtected);
        Assert.Equal(before.UpdatedUtc, after.UpdatedUtc);
        Assert.Equal(HttpStatusCode.OK, (await PushAsync("msg_after")).StatusCode);
    }

    [Fact]
    public async Task Rotating_or_expiring_the_secret_of_an_unknown_listener_is_404()
    {
        var unknown = Guid.NewGuid();

        await (await portal.AsAdmin().PostAsync($"/api/listeners/{unknown}/secret", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{unknown}/secret", new { secret = "a-good-new-secret-1", overlap = "01:00:00" })).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.AsAdmin().PostAsync($"/api/listeners/{unknown}/secret/expire-previous", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.False(await portal.WithDbAsync(db => db.Listeners.AnyAsync(l => l.Id == unknown)));
    }
}
