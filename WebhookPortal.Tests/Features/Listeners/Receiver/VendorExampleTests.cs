using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners.Receiver;

/// <summary>
/// The vendors' published examples, sent as they are through the portal's own signature check, with the portal's
/// clock at the example's timestamp (each example is years old: at any other time it is outside the tolerance).
/// Each expected signature is also computed here with the framework's HMAC, to show the vector is what it says.
/// </summary>
public sealed class VendorExampleTests
{
    /// <summary>A portal whose clock starts at a vendor example's Unix timestamp.</summary>
    private sealed class ExampleTimePortal : PortalFactory
    {
        public ExampleTimePortal(long unixSeconds)
        {
            Clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));
        }
    }

    // standardwebhooks.com spec / the StandardWebhooks libraries' test vector.
    private const string StandardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string StandardId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long StandardTimestamp = 1614265330;
    private const string StandardBody = """{"test": 2432232314}""";
    private const string StandardSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    // api.slack.com "Verifying requests from Slack": the slash command example, byte for byte (its command is
    // "/webhook-collect"; with any other byte the published signature does not match).
    private const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const long SlackTimestamp = 1531420618;
    private const string SlackBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    private const string SlackSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    [Fact]
    public void The_published_vectors_are_what_the_framework_hmac_computes()
    {
        var standard = "v1," + Convert.ToBase64String(HMACSHA256.HashData(
            Convert.FromBase64String(StandardSecret["whsec_".Length..]), Encoding.UTF8.GetBytes($"{StandardId}.{StandardTimestamp}.{StandardBody}")));
        Assert.Equal(StandardSignature, standard);

        var slack = "v0=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SlackSecret), Encoding.UTF8.GetBytes($"v0:{SlackTimestamp}:{SlackBody}"))).ToLowerInvariant();
        Assert.Equal(SlackSignature, slack);
    }

    [Fact]
    public async Task Standard_webhooks_accepts_the_specs_example_at_its_time_and_refuses_a_tampered_body()
    {
        using var portal = new ExampleTimePortal(StandardTimestamp);
        var listener = await portal.CreateListenerAsync(auth: new { method = "StandardWebhooks", secret = StandardSecret }, sample: StandardBody, rootPath: "", primaryKey: ["test"]);

        HttpRequestMessage Example(string body)
        {
            var request = Json(HttpMethod.Post, listener.HookPath, body);
            request.Headers.Add("webhook-id", StandardId);
            request.Headers.Add("webhook-timestamp", StandardTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", StandardSignature);
            return request;
        }

        var tampered = await (await portal.Anonymous().SendAsync(Example("""{"test": 2432232315}"""))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The signature does not match the body.", tampered.GetProperty("detail").GetString());
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));

        var accepted = await (await portal.Anonymous().SendAsync(Example(StandardBody))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, accepted.GetProperty("inserted").GetInt32());
        var record = (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0];
        Assert.Equal(2432232314L, record.GetProperty("test").GetInt64());

        // Six minutes later the same example is outside the default tolerance of five.
        portal.Clock.Advance(TimeSpan.FromMinutes(6));
        var stale = await (await portal.Anonymous().SendAsync(Example(StandardBody))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("outside the tolerance", stale.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Slack_accepts_its_published_slash_command_example_and_stores_the_form_flattened()
    {
        using var portal = new ExampleTimePortal(SlackTimestamp);
        var fields = new[] { "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name", "command", "text", "response_url", "trigger_id" };
        var sample = JsonSerializer.Serialize(fields.ToDictionary(f => f, f => "sample-" + f));
        var listener = await portal.CreateListenerAsync(auth: new { method = "Slack", secret = SlackSecret }, sample: sample, rootPath: "", primaryKey: ["trigger_id"]);

        HttpRequestMessage Example(string body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, listener.HookPath) { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
            request.Headers.Add("X-Slack-Signature", SlackSignature);
            request.Headers.Add("X-Slack-Request-Timestamp", SlackTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return request;
        }

        var tampered = await (await portal.Anonymous().SendAsync(Example(SlackBody.Replace("roadrunner", "coyote", StringComparison.Ordinal)))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The signature does not match the body.", tampered.GetProperty("detail").GetString());

        var accepted = await (await portal.Anonymous().SendAsync(Example(SlackBody))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, accepted.GetProperty("inserted").GetInt32());

        var record = (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0];
        Assert.Equal("398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", record.GetProperty("trigger_id").GetString());
        Assert.Equal("roadrunner", record.GetProperty("user_name").GetString());
        Assert.Equal("/webhook-collect", record.GetProperty("command").GetString());
        Assert.Equal("", record.GetProperty("text").GetString());
        Assert.Equal("https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN", record.GetProperty("response_url").GetString());
        Assert.Equal("T1DC2JH3J", record.GetProperty("team_id").GetString());

        // The log keeps the form as it came, and the entry is a success.
        var entry = (await portal.LogsAsync($"sourceId={listener.Id}&pageSize=1")).GetProperty("items")[0];
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        var detail = await (await portal.AsAdmin().GetAsync($"/api/logs/{entry.GetProperty("id").GetInt64()}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains("user_name=roadrunner", detail.GetProperty("requestBody").GetString());
    }
}
