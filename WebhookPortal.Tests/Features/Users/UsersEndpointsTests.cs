using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Users;

public sealed class UsersEndpointsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private Task<int> CountAsync() => portal.WithDbAsync(db => db.Users.CountAsync());

    private async Task<string> CreateAsync(string email, string role = "Support", string password = "Good-Pass-1")
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/users", new { email, password, role })).ReadJsonAsync(HttpStatusCode.Created);
        return created.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_created_support_user_reads_logs_and_listeners_but_writes_nothing()
    {
        var email = $"s-{Guid.NewGuid():N}@test.local";
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/users", new { email, password = "Support-Pass-9", role = "Support" })).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal("Support", created.GetProperty("role").GetString());
        Assert.False(created.GetProperty("lockedOut").GetBoolean());

        var support = portal.WithBasic(email, "Support-Pass-9");
        await (await support.GetAsync("/api/logs")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.GetAsync("/api/listeners")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.GetAsync("/api/users")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsJsonAsync("/api/integrations", new { name = "nope" })).AssertProblemAsync(HttpStatusCode.Forbidden);

        var list = await (await portal.AsAdmin().GetAsync("/api/users")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(list.EnumerateArray(), u => u.GetProperty("email").GetString() == email && u.GetProperty("role").GetString() == "Support");
    }

    [Theory]
    [InlineData("{\"password\":\"Good-Pass-1\",\"role\":\"Support\"}", "email")]
    [InlineData("{\"email\":\"not-an-email\",\"password\":\"Good-Pass-1\",\"role\":\"Support\"}", "email")]
    [InlineData("{\"email\":\"x1@test.local\",\"password\":\"Good-Pass-1\",\"role\":\"Root\"}", "role")]
    [InlineData("{\"email\":\"x2@test.local\",\"role\":\"Support\"}", "password")]
    [InlineData("{\"email\":\"x3@test.local\",\"password\":\"short\",\"role\":\"Support\"}", "password")]
    public async Task Bad_input_is_400_naming_the_field_and_creates_nobody(string body, string field)
    {
        var before = await CountAsync();
        var problem = await (await portal.AsAdmin().PostAsync("/api/users", new StringContent(body, System.Text.Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task A_duplicate_email_is_409()
    {
        var email = $"d-{Guid.NewGuid():N}@test.local";
        await CreateAsync(email);
        var before = await CountAsync();
        await (await portal.AsAdmin().PostAsJsonAsync("/api/users", new { email, password = "Good-Pass-1", role = "Admin" })).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Role_change_lock_unlock_password_reset_and_delete()
    {
        var email = $"u-{Guid.NewGuid():N}@test.local";
        var id = await CreateAsync(email);
        var admin = portal.AsAdmin();

        var promoted = await (await admin.PutAsJsonAsync($"/api/users/{id}", new { role = "Admin" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Admin", promoted.GetProperty("role").GetString());
        await (await portal.WithBasic(email, "Good-Pass-1").PostAsJsonAsync("/api/integrations", new { name = "by-" + id[..6] })).ReadJsonAsync(HttpStatusCode.Created);

        var locked = await (await admin.PutAsJsonAsync($"/api/users/{id}", new { locked = true })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(locked.GetProperty("lockedOut").GetBoolean());
        await (await portal.WithBasic(email, "Good-Pass-1").GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);

        await (await admin.PutAsJsonAsync($"/api/users/{id}", new { locked = false, password = "New-Pass-22" })).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.WithBasic(email, "Good-Pass-1").GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.WithBasic(email, "New-Pass-22").GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/users/{id}")).StatusCode);
        await (await portal.WithBasic(email, "New-Pass-22").GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await admin.DeleteAsync($"/api/users/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_last_administrator_cannot_be_demoted_locked_or_deleted()
    {
        var users = await (await portal.AsAdmin().GetAsync("/api/users")).ReadJsonAsync(HttpStatusCode.OK);
        var admins = users.EnumerateArray().Where(u => u.GetProperty("role").GetString() == "Admin" && !u.GetProperty("lockedOut").GetBoolean()).ToList();
        // Other tests of this class may have promoted someone: demote them first so the seed admin is the last one.
        foreach (var other in admins.Where(a => a.GetProperty("email").GetString() != PortalFactory.AdminEmail))
        {
            await (await portal.AsAdmin().PutAsJsonAsync($"/api/users/{other.GetProperty("id").GetString()}", new { role = "Support" })).ReadJsonAsync(HttpStatusCode.OK);
        }

        var seedId = users.EnumerateArray().Single(u => u.GetProperty("email").GetString() == PortalFactory.AdminEmail).GetProperty("id").GetString();
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/users/{seedId}", new { role = "Support" })).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/users/{seedId}", new { locked = true })).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await portal.AsAdmin().DeleteAsync($"/api/users/{seedId}")).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await portal.AsAdmin().GetAsync("/api/users")).ReadJsonAsync(HttpStatusCode.OK);
    }
}
