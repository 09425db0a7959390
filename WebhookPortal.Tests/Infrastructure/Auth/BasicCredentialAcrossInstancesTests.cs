using System.Net;
using System.Net.Http.Json;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Auth;

/// <summary>
/// A Basic credential remembered by one portal is refused there after a password change or a lock made through
/// another: at once on PostgreSQL (a LISTEN/NOTIFY signal; credentials are remembered ten minutes here, so only the
/// signal can do it), after the cache's expiry on SQLite.
/// </summary>
public sealed class BasicCredentialAcrossInstancesTests() : TwoPortalsTest<LongCachePortal>(() => new LongCachePortal(), directory => new LongCachePortal(directory))
{
    private async Task<(string Id, string Email, string Password)> UserAsync()
    {
        var email = $"shared-{Guid.NewGuid():N}@example.com";
        const string password = "Shared-Pass-1";
        var created = await (await First.AsAdmin().PostAsJsonAsync("/api/users", new { email, password, role = PortalRoles.Support })).ReadJsonAsync(HttpStatusCode.Created);
        return (created.GetProperty("id").GetString()!, email, password);
    }

    private async Task SecondRefusesAsync(HttpClient client, string detail)
    {
        if (!First.OnPostgres)
        {
            Second.Clock.Advance(LongCachePortal.CacheDuration + TimeSpan.FromSeconds(1));
        }

        await Eventually.TrueAsync(
            async () =>
            {
                var answer = await client.GetAsync("/api/integrations");
                return answer.StatusCode == HttpStatusCode.Unauthorized && (await answer.Content.ReadAsStringAsync()).Contains(detail);
            },
            "the second portal to refuse the remembered credential",
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_password_changed_through_one_portal_is_refused_by_the_other()
    {
        var (id, email, password) = await UserAsync();
        var throughSecond = Second.WithBasic(email, password);
        await (await throughSecond.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK); // now remembered by the second portal

        await (await First.AsAdmin().PutAsJsonAsync($"/api/users/{id}", new { password = "Shared-Pass-2" })).ReadJsonAsync(HttpStatusCode.OK);
        await SecondRefusesAsync(throughSecond, "Invalid email or password");
        await (await Second.WithBasic(email, "Shared-Pass-2").GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_user_locked_through_one_portal_is_refused_by_the_other()
    {
        var (id, email, password) = await UserAsync();
        var throughSecond = Second.WithBasic(email, password);
        await (await throughSecond.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);

        await (await First.AsAdmin().PutAsJsonAsync($"/api/users/{id}", new { locked = true })).ReadJsonAsync(HttpStatusCode.OK);
        await SecondRefusesAsync(throughSecond, "locked");
    }
}
