using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Integrations;

public sealed class IntegrationsEndpointsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private Task<int> CountAsync() => portal.WithDbAsync(db => db.Integrations.CountAsync());

    [Fact]
    public async Task Create_answers_201_with_the_object_and_a_location_and_stores_it()
    {
        var response = await portal.AsAdmin().PostAsJsonAsync("/api/integrations", new { name = "Create-CRM", description = "Sales CRM" });

        var json = await response.ReadJsonAsync(HttpStatusCode.Created);
        var id = json.GetProperty("id").GetGuid();
        Assert.Equal("Create-CRM", json.GetProperty("name").GetString());
        Assert.Equal("Sales CRM", json.GetProperty("description").GetString());
        Assert.Equal($"/api/integrations/{id}", response.Headers.Location?.OriginalString);
        Assert.True(await portal.WithDbAsync(db => db.Integrations.AnyAsync(i => i.Id == id && i.Name == "Create-CRM")));
    }

    [Fact]
    public async Task Get_list_update_and_delete_round_trip()
    {
        var admin = portal.AsAdmin();
        var created = await (await admin.PostAsJsonAsync("/api/integrations", new { name = "Round-Trip" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();

        var one = await (await admin.GetAsync($"/api/integrations/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Round-Trip", one.GetProperty("name").GetString());

        var list = await (await admin.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(list.EnumerateArray(), e => e.GetProperty("id").GetGuid() == id);

        var updated = await (await admin.PutAsJsonAsync($"/api/integrations/{id}", new { name = "Round-Trip-2", description = "changed" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Round-Trip-2", updated.GetProperty("name").GetString());
        Assert.Equal("changed", await portal.WithDbAsync(db => db.Integrations.Where(i => i.Id == id).Select(i => i.Description).SingleAsync()));

        var deleted = await admin.DeleteAsync($"/api/integrations/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await admin.GetAsync($"/api/integrations/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"name\":\"\"}")]
    [InlineData("{\"name\":\"   \"}")]
    [InlineData("{\"name\":\"a/b\"}")]
    public async Task Create_without_a_valid_name_is_400_naming_the_field_and_stores_nothing(string body)
    {
        var before = await CountAsync();

        var response = await portal.AsAdmin().PostAsync("/api/integrations", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Create_with_a_too_long_name_is_400()
    {
        var before = await CountAsync();
        var response = await portal.AsAdmin().PostAsJsonAsync("/api/integrations", new { name = new string('x', 101) });
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem_and_stores_nothing()
    {
        var before = await CountAsync();
        var response = await portal.AsAdmin().PostAsync("/api/integrations", new StringContent("{\"name\":", System.Text.Encoding.UTF8, "application/json"));
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Duplicate_name_is_409_on_create_and_update()
    {
        var admin = portal.AsAdmin();
        await (await admin.PostAsJsonAsync("/api/integrations", new { name = "Dup-A" })).ReadJsonAsync(HttpStatusCode.Created);
        var b = await (await admin.PostAsJsonAsync("/api/integrations", new { name = "Dup-B" })).ReadJsonAsync(HttpStatusCode.Created);
        var before = await CountAsync();

        await (await admin.PostAsJsonAsync("/api/integrations", new { name = "Dup-A" })).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await admin.PutAsJsonAsync($"/api/integrations/{b.GetProperty("id").GetGuid()}", new { name = "Dup-A" })).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal(before, await CountAsync());
        Assert.Equal("Dup-B", await portal.WithDbAsync(db => db.Integrations.Where(i => i.Id == b.GetProperty("id").GetGuid()).Select(i => i.Name).SingleAsync()));
    }

    [Fact]
    public async Task Unknown_id_is_404_for_get_put_and_delete()
    {
        var admin = portal.AsAdmin();
        var id = Guid.NewGuid();
        await (await admin.GetAsync($"/api/integrations/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PutAsJsonAsync($"/api/integrations/{id}", new { name = "Nobody" })).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.DeleteAsync($"/api/integrations/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Anonymous_callers_get_401_with_www_authenticate_and_no_redirect()
    {
        var client = portal.Anonymous();

        var response = await client.GetAsync("/api/integrations");

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Wrong_password_is_401_and_stores_nothing()
    {
        var before = await CountAsync();
        var response = await portal.WithBasic(PortalFactory.AdminEmail, "wrong-password").PostAsJsonAsync("/api/integrations", new { name = "Never" });
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Support_reads_but_every_write_is_403_and_changes_nothing()
    {
        var created = await (await portal.AsAdmin().PostAsJsonAsync("/api/integrations", new { name = "Support-Visible" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        var support = await portal.AsSupportAsync();
        var before = await CountAsync();

        await (await support.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.GetAsync($"/api/integrations/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.PostAsJsonAsync("/api/integrations", new { name = "By-Support" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PutAsJsonAsync($"/api/integrations/{id}", new { name = "Renamed-By-Support" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.DeleteAsync($"/api/integrations/{id}")).AssertProblemAsync(HttpStatusCode.Forbidden);

        Assert.Equal(before, await CountAsync());
        Assert.Equal("Support-Visible", await portal.WithDbAsync(db => db.Integrations.Where(i => i.Id == id).Select(i => i.Name).SingleAsync()));
    }
}
