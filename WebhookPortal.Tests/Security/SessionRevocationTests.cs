using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>The real password hasher, counting how often a password is verified.</summary>
public sealed class CountingPasswordHasher : IPasswordHasher<ApplicationUser>
{
    private readonly PasswordHasher<ApplicationUser> inner = new();
    private int verifications;

    public int Verifications => Volatile.Read(ref verifications);

    public string HashPassword(ApplicationUser user, string password) => inner.HashPassword(user, password);

    public PasswordVerificationResult VerifyHashedPassword(ApplicationUser user, string hashedPassword, string providedPassword)
    {
        Interlocked.Increment(ref verifications);
        return inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
    }
}

public sealed class CountingHasherPortalFactory : PortalFactory
{
    public CountingPasswordHasher Hasher { get; } = new();

    protected override void ConfigurePortal(IWebHostBuilder builder) => builder.ConfigureServices(services =>
    {
        services.RemoveAll<IPasswordHasher<ApplicationUser>>();
        services.AddSingleton<IPasswordHasher<ApplicationUser>>(Hasher);
    });
}

/// <summary>
/// Trust boundary: sessions after a change. A role change, a lock or a password change renews the user's security
/// stamp, and every credential issued before (cached Basic verification, cookie, job token) stops working.
/// </summary>
public sealed class SessionRevocationTests(CountingHasherPortalFactory portal) : IClassFixture<CountingHasherPortalFactory>
{
    // Security:Sessions:RevalidationInterval's default.
    private static readonly TimeSpan Revalidation = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_verified_basic_credential_skips_the_hash_and_a_password_change_drops_it_at_once()
    {
        var (id, email, password) = await UserAsync(PortalRoles.Support);
        var client = portal.WithBasic(email, password);
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);

        var verified = portal.Hasher.Verifications;
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        await (await client.GetAsync("/api/listeners")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(verified, portal.Hasher.Verifications);

        await (await portal.AsAdmin().PutAsJsonAsync($"/api/users/{id}", new { password = "Changed-Pass-2" })).ReadJsonAsync(HttpStatusCode.OK);
        var old = await client.GetAsync("/api/integrations");
        Assert.Contains("Invalid email or password", (await old.AssertProblemAsync(HttpStatusCode.Unauthorized)).GetProperty("detail").GetString());
        await (await portal.WithBasic(email, "Changed-Pass-2").GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_wrong_password_is_never_answered_from_the_cache()
    {
        var (_, email, password) = await UserAsync(PortalRoles.Support);
        await (await portal.WithBasic(email, password).GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.WithBasic(email, password + "x").GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Locking_a_user_closes_basic_job_tokens_and_cookies()
    {
        var (id, email, password) = await UserAsync(PortalRoles.Support);
        var basic = portal.WithBasic(email, password);
        await (await basic.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        var token = await JobTokenClientAsync(email, password);
        await (await token.GetAsync("/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);
        var cookie = await portal.SignInWithCookieAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, (await cookie.GetAsync("/listeners")).StatusCode);

        await (await portal.AsAdmin().PutAsJsonAsync($"/api/users/{id}", new { locked = true })).ReadJsonAsync(HttpStatusCode.OK);

        var refused = await basic.GetAsync("/api/integrations");
        Assert.Contains("locked", (await refused.AssertProblemAsync(HttpStatusCode.Unauthorized)).GetProperty("detail").GetString());
        await (await token.GetAsync("/api/jobs")).AssertProblemAsync(HttpStatusCode.Unauthorized);

        portal.Clock.Advance(Revalidation + TimeSpan.FromSeconds(1));
        var page = await cookie.GetAsync("/listeners");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/Account/Login", page.RedirectPath());
    }

    [Fact]
    public async Task A_demoted_admin_is_refused_writes_at_once()
    {
        var (id, email, password) = await UserAsync(PortalRoles.Admin);
        var basic = portal.WithBasic(email, password);
        await (await basic.PostAsJsonAsync("/api/integrations", new { name = "Before-" + Guid.NewGuid().ToString("N")[..6] })).ReadJsonAsync(HttpStatusCode.Created);
        var token = await JobTokenClientAsync(email, password);
        var cookie = await portal.SignInWithCookieAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, (await cookie.GetAsync("/users")).StatusCode);

        await (await portal.AsAdmin().PutAsJsonAsync($"/api/users/{id}", new { role = "Support" })).ReadJsonAsync(HttpStatusCode.OK);

        var before = await portal.WithDbAsync(db => db.Integrations.CountAsync());
        await (await basic.PostAsJsonAsync("/api/integrations", new { name = "After-" + Guid.NewGuid().ToString("N")[..6] })).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Integrations.CountAsync()));
        // The job token was issued to an Admin: it is gone with the old stamp.
        await (await token.GetAsync("/api/jobs")).AssertProblemAsync(HttpStatusCode.Unauthorized);

        portal.Clock.Advance(Revalidation + TimeSpan.FromSeconds(1));
        var users = await cookie.GetAsync("/users");
        Assert.Equal(HttpStatusCode.Redirect, users.StatusCode);
        Assert.StartsWith("/Account/Login", users.RedirectPath());
    }

    [Fact]
    public async Task Changing_ones_own_password_ends_the_other_sessions()
    {
        var (_, email, password) = await UserAsync(PortalRoles.Support);
        var basic = portal.WithBasic(email, password);
        await (await basic.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        var token = await JobTokenClientAsync(email, password);
        var cookie = await portal.SignInWithCookieAsync(email, password);

        var changed = await cookie.PostFormAsync(PasswordChange.PagePath, "change-password", new Dictionary<string, string>
        {
            ["Input.OldPassword"] = password,
            ["Input.NewPassword"] = "Own-New-Pass-3",
            ["Input.ConfirmPassword"] = "Own-New-Pass-3",
        });
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);

        await (await basic.GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await token.GetAsync("/api/jobs")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        // The session that changed it was renewed and goes on.
        Assert.Equal(HttpStatusCode.OK, (await cookie.GetAsync("/listeners")).StatusCode);
    }

    [Fact]
    public async Task A_deleted_users_job_token_stops_working()
    {
        var (id, email, password) = await UserAsync(PortalRoles.Support);
        var token = await JobTokenClientAsync(email, password);
        await (await token.GetAsync("/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.NoContent, (await portal.AsAdmin().DeleteAsync($"/api/users/{id}")).StatusCode);

        await (await token.GetAsync("/api/jobs")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    private async Task<HttpClient> JobTokenClientAsync(string email, string password)
    {
        var key = (await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "sessions-" + Guid.NewGuid().ToString("N")[..6], role = "Admin" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("key").GetString()!;
        var token = (await (await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key, username = email, password }))
            .ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        return portal.WithBearer(token);
    }

    private async Task<(string Id, string Email, string Password)> UserAsync(string role)
    {
        var email = $"session-{Guid.NewGuid():N}@test.local";
        const string password = "Session-Pass-1";
        await portal.EnsureUserAsync(email, password, role);
        var id = await portal.WithDbAsync(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());
        return (id, email, password);
    }
}
