using System.Net;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Tests.Features.Deliveries;

public sealed class SignerTests
{
    [Fact]
    public void Matches_the_standard_webhooks_test_vector()
    {
        // From the Standard Webhooks specification's reference implementations.
        var signature = Signer.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}""");
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void Verify_accepts_the_right_signature_among_several_and_rejects_tampering()
    {
        var secret = Signer.NewSecret();
        Assert.StartsWith("whsec_", secret);
        var signature = Signer.Sign(secret, "msg_1", 100, "{}");

        Assert.True(Signer.Verify(secret, "msg_1", 100, "{}", "v1,bogus " + signature));
        Assert.False(Signer.Verify(secret, "msg_1", 101, "{}", signature));
        Assert.False(Signer.Verify(secret, "msg_2", 100, "{}", signature));
        Assert.False(Signer.Verify(secret, "msg_1", 100, "{ }", signature));
        Assert.False(Signer.Verify(Signer.NewSecret(), "msg_1", 100, "{}", signature));
    }

    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    // The formula written out plainly; Sign encodes the same content straight into a pooled buffer.
    private static string Plain(string secret, string id, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Convert.FromBase64String(secret["whsec_".Length..]), System.Text.Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));

    [Theory]
    [InlineData("")]
    [InlineData("{\"name\":\"Zoë ünïcödé 日本語 🚀\"}")]
    [InlineData("{\"n\":1}")]
    public void Any_body_is_signed_as_the_plain_formula_signs_it(string body) =>
        Assert.Equal(Plain(Secret, "msg_1", 1733500000, body), Signer.Sign(Secret, "msg_1", 1733500000, body));

    [Fact]
    public void Bodies_of_any_length_in_turn_give_the_plain_formulas_signatures()
    {
        // Large and small in turn: a pooled buffer handed back still holds the last content, which must not reach the next.
        var large = "{\"text\":\"" + new string('x', 300_000) + "é\"}";
        const string small = "{\"n\":2}";
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Plain(Secret, "msg_big", 1, large), Signer.Sign(Secret, "msg_big", 1, large));
            Assert.Equal(Plain(Secret, "msg_small", -42, small), Signer.Sign(Secret, "msg_small", -42, small));
        }
    }
}

public sealed class RetryPolicyTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(200)]
    [InlineData(204)]
    [InlineData(299)]
    public void A_2xx_is_delivered(int status) =>
        Assert.Equal(AttemptVerdict.Delivered, RetryPolicy.Decide(new AttemptOutcome(status, null), 1, 3, TimeSpan.FromMinutes(5), Now).Verdict);

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(null)]
    public void A_5xx_or_no_answer_is_retried_max_retries_times_interval_apart(int? status)
    {
        var outcome = new AttemptOutcome(status, "x");
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var (verdict, next) = RetryPolicy.Decide(outcome, attempt, 3, TimeSpan.FromMinutes(5), Now);
            Assert.Equal(AttemptVerdict.Retry, verdict);
            Assert.Equal(Now.AddMinutes(5), next);
        }

        Assert.Equal(AttemptVerdict.Failed, RetryPolicy.Decide(outcome, 4, 3, TimeSpan.FromMinutes(5), Now).Verdict);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(410)]
    [InlineData(429)]
    public void Any_other_status_fails_at_once(int status) =>
        Assert.Equal(AttemptVerdict.Failed, RetryPolicy.Decide(new AttemptOutcome(status, null), 1, 3, TimeSpan.FromMinutes(5), Now).Verdict);

    [Fact]
    public void A_guarded_url_is_never_retried() =>
        Assert.Equal(AttemptVerdict.Failed, RetryPolicy.Decide(new AttemptOutcome(null, "guard", Blocked: true), 1, 3, TimeSpan.FromMinutes(5), Now).Verdict);
}

public sealed class UrlGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.8.9.10", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.16.5.4", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("169.254.10.1", "link-local")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fd00:ec2::254", "private")]
    [InlineData("ff02::1", "multicast")]
    public void Refuses_internal_addresses(string address, string reason) =>
        Assert.Equal(reason, UrlGuard.WhyBlocked(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    public void Allows_public_addresses(string address) =>
        Assert.Null(UrlGuard.WhyBlocked(IPAddress.Parse(address)));

    [Theory]
    [InlineData("ftp://example.com/x")]
    [InlineData("/relative")]
    [InlineData("not a url")]
    [InlineData("")]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://[::1]:8080/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    public void Save_time_check_refuses_bad_or_internal_urls(string url) =>
        Assert.NotNull(UrlGuard.ValidateUrl(url, []));

    [Fact]
    public void The_allow_list_opens_a_host_and_public_names_pass_save_time()
    {
        Assert.Null(UrlGuard.ValidateUrl("http://127.0.0.1:5000/hook", ["127.0.0.1"]));
        Assert.Null(UrlGuard.ValidateUrl("https://hooks.example.com/in", []));
    }

    [Fact]
    public async Task Connect_refuses_a_name_that_resolves_to_loopback_unless_allowed()
    {
        var guard = await Assert.ThrowsAsync<UrlGuardException>(() => UrlGuard.ConnectAsync(new DnsEndPoint("localhost", 9), [], CancellationToken.None).AsTask());
        Assert.Contains("loopback", guard.Message);

        // Allowed: the guard steps aside and the (closed) port refuses the connection itself.
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => UrlGuard.ConnectAsync(new DnsEndPoint("localhost", 9), ["localhost"], CancellationToken.None).AsTask());
    }
}
