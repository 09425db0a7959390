using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.ApiKeys;

public sealed class ApiKeysEndpointsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private Task<int> CountAsync() => portal.WithDbAsync(db => db.ApiKeys.CountAsync());

    [Fact]
    public async Task Create_shows_the_key_once_and_stores_only_a_hash()
    {
        var response = await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "ci", role = "Admin" });

        var json = await response.ReadJsonAsync(HttpStatusCode.Created);
        var key = json.GetProperty("key").GetString()!;
        Assert.StartsWith("wpk_", key);
        Assert.Equal("ci", json.GetProperty("name").GetString());
        Assert.Equal("Admin", json.GetProperty("role").GetString());

        var id = json.GetProperty("id").GetGuid();
        var stored = await portal.WithDbAsync(db => db.ApiKeys.SingleAsync(k => k.Id == id));
        Assert.Equal(32, stored.KeyHash.Length);
        Assert.DoesNotContain(key[^20..], Convert.ToBase64String(stored.KeyHash));

        var list = await (await portal.AsAdmin().GetAsync("/api/api-keys")).Content.ReadAsStringAsync();
        Assert.Contains("\"ci\"", list);
        Assert.DoesNotContain(key, list);
        Assert.DoesNotContain("\"key\"", list);
    }

    [Fact]
    public async Task A_bearer_key_authenticates_with_its_role_and_records_last_use()
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "reader", role = "Support" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        var client = portal.WithBearer(created.GetProperty("key").GetString()!);

        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        await (await client.PostAsJsonAsync("/api/integrations", new { name = "By-Support-Key" })).AssertProblemAsync(HttpStatusCode.Forbidden);

        // "Last used" is written in the background (every ApiKeys:LastUsedFlushInterval); run that round now.
        await portal.Services.GetRequiredService<WebhookPortal.Features.ApiKeys.ApiKeyUsage>().FlushAsync();
        Assert.NotNull(await portal.WithDbAsync(db => db.ApiKeys.Where(k => k.Id == id).Select(k => k.LastUsedUtc).SingleAsync()));
        var list = await (await portal.AsAdmin().GetAsync("/api/api-keys")).ReadJsonAsync(HttpStatusCode.OK);
        var row = list.EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == id);
        Assert.Equal(System.Text.Json.JsonValueKind.String, row.GetProperty("lastUsed").ValueKind);
    }

    [Fact]
    public async Task An_admin_key_may_write()
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "writer", role = "admin" })).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal("Admin", created.GetProperty("role").GetString());
        var client = portal.WithBearer(created.GetProperty("key").GetString()!);

        await (await client.PostAsJsonAsync("/api/integrations", new { name = "By-Admin-Key" })).ReadJsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Revoking_a_key_rejects_it_at_once()
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "temp", role = "Support" })).ReadJsonAsync(HttpStatusCode.Created);
        var client = portal.WithBearer(created.GetProperty("key").GetString()!);
        await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);

        var revoked = await portal.AsAdmin().DeleteAsync($"/api/api-keys/{created.GetProperty("id").GetGuid()}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        await (await client.GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("wpk_000000000000_notarealkey")]
    [InlineData("not-a-key")]
    [InlineData("wpk_")]
    public async Task Unknown_or_malformed_keys_are_401(string key)
    {
        var response = await portal.WithBearer(key).GetAsync("/api/integrations");
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_tampered_key_with_a_real_prefix_is_401()
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "tamper", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created);
        var key = created.GetProperty("key").GetString()!;
        var tampered = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');

        await (await portal.WithBearer(tampered).GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("{\"role\":\"Admin\"}", "name")]
    [InlineData("{\"name\":\"x\",\"role\":\"Root\"}", "role")]
    [InlineData("{\"name\":\"x\"}", "role")]
    public async Task Bad_input_is_400_naming_the_field_and_stores_nothing(string body, string field)
    {
        var before = await CountAsync();
        var response = await portal.AsAdmin().PostAsync("/api/api-keys", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Support_cannot_list_create_or_revoke_keys()
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "protected", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created);
        var support = await portal.AsSupportAsync();
        var before = await CountAsync();

        await (await support.GetAsync("/api/api-keys")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsJsonAsync("/api/api-keys", new { name = "x", role = "Admin" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.DeleteAsync($"/api/api-keys/{created.GetProperty("id").GetGuid()}")).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_404()
    {
        await (await portal.AsAdmin().DeleteAsync($"/api/api-keys/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
