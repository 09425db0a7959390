using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>A portal whose clients can speak from chosen addresses, with small limits a test reaches quickly.</summary>
public sealed class GuessingPortalFactory : PortalFactory
{
    public const int FailuresPerAddress = 3;
    public const int FailuresPerAccount = 8;
    public const int AttemptsPerAddress = 25;

    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        builder.UseSetting("Security:RateLimit:FailuresPerAddress", FailuresPerAddress.ToString());
        builder.UseSetting("Security:RateLimit:FailuresPerAccount", FailuresPerAccount.ToString());
        builder.UseSetting("Security:RateLimit:AttemptsPerAddress", AttemptsPerAddress.ToString());
        builder.UseSetting("Security:RateLimit:Window", "00:05:00");
        builder.ConfigureServices(services => services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, TestClientAddress>());
    }
}

/// <summary>
/// Trust boundary: whoever can reach the sign-in doors (login form, Basic on the API, /api/authenticate).
/// Guessing is throttled per client address and per account with 429 + Retry-After; no stranger can lock the owner out.
/// </summary>
public sealed class CredentialGuessingTests(GuessingPortalFactory portal) : IClassFixture<GuessingPortalFactory>
{
    private static string Attacker(int n) => "203.0.113." + n;

    [Fact]
    public async Task Wrong_basic_passwords_from_one_address_get_429_and_leave_the_account_unlocked()
    {
        var (email, password) = await UserAsync();
        var attacker = Address(Attacker(1));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            statuses.Add((await attacker.SendAsync(Get("/api/integrations", email, "guess-" + i))).StatusCode);
        }

        // As reported, six wrong passwords then the right one answered 401 (locked): now the address is cut off
        // after a few failures, long before any lockout.
        Assert.All(statuses.Take(GuessingPortalFactory.FailuresPerAddress), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(GuessingPortalFactory.FailuresPerAddress), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        var refused = await attacker.SendAsync(Get("/api/integrations", email, password));
        var problem = await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("try again", problem.GetProperty("detail").GetString());
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single()) is > 0 and <= 300);

        var user = await FindUserAsync(email);
        Assert.Null(user.LockoutEnd);
        Assert.Equal(0, user.AccessFailedCount);

        // The owner, elsewhere, signs in while the attack goes on.
        await (await Address("198.51.100.7").SendAsync(Get("/api/integrations", email, password))).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_refused_write_stores_nothing()
    {
        var (email, password) = await UserAsync(PortalRoles.Admin);
        var attacker = Address(Attacker(2));
        for (var i = 0; i < GuessingPortalFactory.FailuresPerAddress; i++)
        {
            await (await attacker.SendAsync(Post("/api/integrations", email, "guess-" + i, new { name = "Never-" + i }))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var before = await portal.WithDbAsync(db => db.Integrations.CountAsync());
        var response = await attacker.SendAsync(Post("/api/integrations", email, password, new { name = "Throttled" }));
        await response.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Integrations.CountAsync()));
    }

    [Fact]
    public async Task One_clients_burst_is_cut_off()
    {
        var (email, _) = await UserAsync();
        var attacker = Address(Attacker(3));
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => attacker.SendAsync(Get("/api/integrations", email, "burst-" + i))));

        // Checks of one address run one at a time: no more than the limit is ever checked, the rest wait or are refused.
        Assert.Equal(GuessingPortalFactory.FailuresPerAddress, responses.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(200 - GuessingPortalFactory.FailuresPerAddress, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.All(responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests), r => Assert.True(r.Headers.Contains("Retry-After")));
        Assert.Null((await FindUserAsync(email)).LockoutEnd);
    }

    [Fact]
    public async Task Right_passwords_are_not_throttled_like_failures()
    {
        var (email, password) = await UserAsync();
        var client = Address("198.51.100.20");
        for (var i = 0; i < 20; i++)
        {
            await (await client.SendAsync(Get("/api/integrations", email, password))).ReadJsonAsync(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Many_addresses_guessing_one_account_cannot_shut_its_owner_out()
    {
        var (email, password) = await UserAsync();
        var guessers = Enumerable.Range(1, 6).Select(i => Address($"192.0.2.{i}")).ToList();
        foreach (var guesser in guessers)
        {
            for (var i = 0; i < 2; i++)
            {
                await guesser.SendAsync(Get("/api/integrations", email, "spread-" + i));
            }
        }

        // The account's budget (8 per window) is spent: an address that already failed for it is refused…
        await (await guessers[^1].SendAsync(Get("/api/integrations", email, password))).AssertProblemAsync(HttpStatusCode.TooManyRequests);
        // …while an address with no failure for it, the owner's, still gets in; and the account is not locked.
        await (await Address("198.51.100.30").SendAsync(Get("/api/integrations", email, password))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Null((await FindUserAsync(email)).LockoutEnd);
    }

    [Fact]
    public async Task The_login_form_is_throttled_per_address_and_the_owner_signs_in_elsewhere()
    {
        var (email, password) = await UserAsync();
        var attacker = portal.CookieClient().From(Attacker(4));
        for (var i = 0; i < GuessingPortalFactory.FailuresPerAddress; i++)
        {
            var wrong = await attacker.PostLoginFormAsync(email, "guess-" + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("Invalid email or password", await wrong.Content.ReadAsStringAsync());
        }

        var throttled = await attacker.PostLoginFormAsync(email, password);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.Contains("Retry-After"));
        Assert.Contains("Too many failed sign-in attempts", await throttled.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await attacker.GetAsync("/listeners")).StatusCode);

        var owner = await portal.SignInWithCookieAsync(email, password, "198.51.100.40");
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/listeners")).StatusCode);
        Assert.Null((await FindUserAsync(email)).LockoutEnd);
    }

    [Fact]
    public async Task Authenticate_is_throttled_and_stores_no_token_when_refused()
    {
        var (email, password) = await UserAsync();
        var key = (await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "guess-" + Guid.NewGuid().ToString("N")[..6], role = "Admin" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("key").GetString()!;
        var attacker = Address(Attacker(5));
        for (var i = 0; i < GuessingPortalFactory.FailuresPerAddress; i++)
        {
            await (await attacker.PostAsJsonAsync("/api/authenticate", new { api_key = key, username = email, password = "guess-" + i })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        var tokens = await portal.WithDbAsync(db => db.JobTokens.CountAsync());
        var refused = await attacker.PostAsJsonAsync("/api/authenticate", new { api_key = key, username = email, password });
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.Contains("Retry-After"));
        Assert.Equal(tokens, await portal.WithDbAsync(db => db.JobTokens.CountAsync()));

        await (await Address("198.51.100.50").PostAsJsonAsync("/api/authenticate", new { api_key = key, username = email, password })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Null((await FindUserAsync(email)).LockoutEnd);
    }

    [Fact]
    public async Task Sign_in_requests_of_one_address_are_rate_limited_right_or_wrong()
    {
        // A wrong API key is no password guess, yet every request to /api/authenticate counts per address.
        var client = Address(Attacker(6));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < GuessingPortalFactory.AttemptsPerAddress; i++)
        {
            statuses.Add((await client.PostAsJsonAsync("/api/authenticate", new { api_key = "wpk_nope", username = "x@test.local", password = "p" })).StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        var limited = await client.PostAsJsonAsync("/api/authenticate", new { api_key = "wpk_nope", username = "x@test.local", password = "p" });
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) > 0);
    }

    [Fact]
    public async Task Addresses_of_one_IPv6_64_share_one_budget()
    {
        // Seen: the throttle keyed on the exact address, so a host with a /64 (2^64 addresses) guessed without limit.
        var (email, password) = await UserAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 1; i <= 8; i++)
        {
            statuses.Add((await Address($"2001:db8:4:64:{i:x}::{i:x}").SendAsync(Get("/api/integrations", email, "v6-" + i))).StatusCode);
        }

        Assert.All(statuses.Take(GuessingPortalFactory.FailuresPerAddress), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(GuessingPortalFactory.FailuresPerAddress), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        // A fresh address in the same /64 is refused even with the right password…
        var refused = await Address("2001:db8:4:64:ffff:ffff:ffff:fffe").SendAsync(Get("/api/integrations", email, password));
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.Contains("Retry-After"));
        // …while the neighbouring /64 is someone else, and the account is not locked.
        await (await Address("2001:db8:4:65::1").SendAsync(Get("/api/integrations", email, password))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Null((await FindUserAsync(email)).LockoutEnd);
        Assert.Equal(0, (await FindUserAsync(email)).AccessFailedCount);
    }

    [Fact]
    public async Task An_IPv4_mapped_IPv6_address_counts_as_its_IPv4_address()
    {
        var (email, password) = await UserAsync();
        for (var i = 0; i < GuessingPortalFactory.FailuresPerAddress; i++)
        {
            await (await Address(Attacker(7)).SendAsync(Get("/api/integrations", email, "mapped-" + i))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        await (await Address("::ffff:" + Attacker(7)).SendAsync(Get("/api/integrations", email, password))).AssertProblemAsync(HttpStatusCode.TooManyRequests);
    }

    private HttpClient Address(string address) => portal.Anonymous().From(address);

    private static HttpRequestMessage Get(string path, string email, string password) => WithBasic(new HttpRequestMessage(HttpMethod.Get, path), email, password);

    private static HttpRequestMessage Post(string path, string email, string password, object body) =>
        WithBasic(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) }, email, password);

    private static HttpRequestMessage WithBasic(HttpRequestMessage request, string email, string password)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{email}:{password}")));
        return request;
    }

    private async Task<(string Email, string Password)> UserAsync(string role = PortalRoles.Support)
    {
        var email = $"guess-{Guid.NewGuid():N}@test.local";
        const string password = "Owner-Pass-1";
        await portal.EnsureUserAsync(email, password, role);
        return (email, password);
    }

    private async Task<ApplicationUser> FindUserAsync(string email)
    {
        using var scope = portal.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        return (await users.FindByEmailAsync(email))!;
    }
}
