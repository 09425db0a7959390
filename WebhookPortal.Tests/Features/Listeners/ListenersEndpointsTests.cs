using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

public sealed class ListenersEndpointsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private Task<int> ListenerCountAsync() => portal.WithDbAsync(db => db.Listeners.CountAsync());

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Create_answers_201_with_the_url_and_never_a_token()
    {
        var integrationId = await portal.CreateIntegrationAsync();

        var response = await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners",
            new { name = "Orders", enabled = true, auth = new { method = "Token", readFrom = "Query", name = "key" }, retentionDays = 7 });

        var json = await response.ReadJsonAsync(HttpStatusCode.Created);
        var id = json.GetProperty("id").GetGuid();
        Assert.Equal($"http://portal.test/hooks/{integrationId}/{id}", json.GetProperty("url").GetString());
        Assert.Equal("Query", json.GetProperty("auth").GetProperty("readFrom").GetString());
        Assert.Equal("key", json.GetProperty("auth").GetProperty("name").GetString());
        Assert.False(json.GetProperty("auth").GetProperty("hasToken").GetBoolean());
        Assert.Equal(7, json.GetProperty("retentionDays").GetInt32());

        var token = (await (await portal.AsAdmin().PostAsync($"/api/listeners/{id}/token", null)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        foreach (var url in new[] { $"/api/listeners/{id}", $"/api/integrations/{integrationId}/listeners", "/api/listeners" })
        {
            var body = await (await portal.AsAdmin().GetAsync(url)).Content.ReadAsStringAsync();
            Assert.DoesNotContain(token, body);
            Assert.Contains("\"hasToken\":true", body);
        }

        var stored = await portal.WithDbAsync(db => db.Listeners.SingleAsync(l => l.Id == id));
        Assert.Equal(32, stored.TokenHash!.Length);
    }

    [Fact]
    public async Task List_get_update_and_delete_round_trip_and_drop_the_tables()
    {
        var listener = await portal.CreateListenerAsync();
        var admin = portal.AsAdmin();

        var list = await (await admin.GetAsync($"/api/integrations/{listener.IntegrationId}/listeners")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(listener.Id, Assert.Single(list.EnumerateArray()).GetProperty("id").GetGuid());

        var updated = await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body("""{"name":"Renamed","enabled":false,"auth":{"method":"Token","readFrom":"Authorization","prefix":"Bearer"},"retentionDays":null}""")))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Renamed", updated.GetProperty("name").GetString());
        Assert.False(updated.GetProperty("enabled").GetBoolean());
        Assert.Equal("Bearer", updated.GetProperty("auth").GetProperty("prefix").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("retentionDays").ValueKind);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/listeners/{listener.Id}")).StatusCode);
        await (await admin.GetAsync($"/api/listeners/{listener.Id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        var tables = await portal.WithDbAsync(PhysicalTables.NamesAsync);
        Assert.DoesNotContain(tables, t => t.StartsWith("l" + listener.Id.ToString("N")[..12], StringComparison.Ordinal));
    }

    public static TheoryData<string, string> BadListenerBodies => new()
    {
        { """{"enabled":true}""", "name" },
        { """{"name":"  "}""", "name" },
        { "{\"name\":\"" + new string('n', 101) + "\"}", "name" },
        { """{"name":"x","auth":{"method":"Token","readFrom":"Header","name":"Bad Header"}}""", "auth.name" },
        { """{"name":"x","auth":{"method":"Token","readFrom":"Header","name":"Authorization"}}""", "auth.name" },
        { """{"name":"x","auth":{"method":"Token","readFrom":"Query","name":"a&b"}}""", "auth.name" },
        { """{"name":"x","auth":{"method":"Token","readFrom":"Authorization","prefix":"two words"}}""", "auth.prefix" },
        { """{"name":"x","retentionDays":0}""", "retentionDays" },
    };

    [Theory]
    [MemberData(nameof(BadListenerBodies))]
    public async Task Bad_listener_input_is_400_naming_the_field_and_stores_nothing(string body, string field)
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var before = await ListenerCountAsync();

        var response = await portal.AsAdmin().PostAsync($"/api/integrations/{integrationId}/listeners", Body(body));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await ListenerCountAsync());
    }

    [Fact]
    public async Task An_unknown_auth_method_is_a_400_problem()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var before = await ListenerCountAsync();
        var response = await portal.AsAdmin().PostAsync($"/api/integrations/{integrationId}/listeners", Body("""{"name":"x","auth":{"method":"Magic"}}"""));
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(before, await ListenerCountAsync());
    }

    [Fact]
    public async Task Duplicate_names_in_one_integration_are_409_but_allowed_across_integrations()
    {
        var first = await portal.CreateIntegrationAsync();
        var second = await portal.CreateIntegrationAsync();
        var admin = portal.AsAdmin();
        await (await admin.PostAsJsonAsync($"/api/integrations/{first}/listeners", new { name = "Same" })).ReadJsonAsync(HttpStatusCode.Created);

        await (await admin.PostAsJsonAsync($"/api/integrations/{first}/listeners", new { name = "Same" })).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await admin.PostAsJsonAsync($"/api/integrations/{second}/listeners", new { name = "Same" })).ReadJsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Unknown_integration_or_listener_is_404()
    {
        var admin = portal.AsAdmin();
        await (await admin.PostAsJsonAsync($"/api/integrations/{Guid.NewGuid()}/listeners", new { name = "x" })).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.GetAsync($"/api/integrations/{Guid.NewGuid()}/listeners")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PutAsJsonAsync($"/api/listeners/{Guid.NewGuid()}", new { name = "x" })).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PostAsync($"/api/listeners/{Guid.NewGuid()}/token", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.GetAsync($"/api/listeners/{Guid.NewGuid()}/records")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_token_for_a_listener_without_token_auth_is_409()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name = "Open" })).ReadJsonAsync(HttpStatusCode.Created);
        await (await portal.AsAdmin().PostAsync($"/api/listeners/{created.GetProperty("id").GetGuid()}/token", null)).AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Preview_shows_the_tables_and_creates_nothing()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var id = (await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name = "Preview" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        var preview = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{id}/tables/preview", new { sample = OrdersSample, baseName = "orders", rootPath = "data.items" }))
            .ReadJsonAsync(HttpStatusCode.OK);

        var tables = preview.GetProperty("tables").EnumerateArray().ToList();
        Assert.Equal(["orders", "orders_comments"], tables.Select(t => t.GetProperty("name").GetString()).ToArray());
        Assert.Equal("orders", tables[1].GetProperty("parent").GetString());
        var columns = tables[0].GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString());
        Assert.Equal("Integer", columns["id"]);
        Assert.Equal("Real", columns["price"]);
        Assert.Equal("Boolean", columns["active"]);
        Assert.Equal("Timestamp", columns["created"]);
        Assert.Equal("Text", columns["customer_city"]);
        Assert.Equal("Text", columns["tags"]);

        Assert.Null(await portal.WithDbAsync(db => db.Listeners.Where(l => l.Id == id).Select(l => l.SchemaJson).SingleAsync()));
        var physical = await portal.WithDbAsync(PhysicalTables.NamesAsync);
        Assert.DoesNotContain(physical, t => t.StartsWith("l" + id.ToString("N")[..12], StringComparison.Ordinal));
    }

    public static TheoryData<string, string> BadTableRequests => new()
    {
        { """{"baseName":"orders","primaryKey":["id"]}""", "sample" },
        { """{"sample":"{not json","baseName":"orders","primaryKey":["id"]}""", "sample" },
        { """{"sample":{"id":1},"primaryKey":["id"]}""", "baseName" },
        { """{"sample":{"id":1},"baseName":"orders"}""", "primaryKey" },
        { """{"sample":{"id":1},"baseName":"orders","primaryKey":["nope"]}""", "primaryKey" },
        { """{"sample":{"id":1},"baseName":"orders","rootPath":"a..b","primaryKey":["id"]}""", "rootPath" },
    };

    [Theory]
    [MemberData(nameof(BadTableRequests))]
    public async Task Bad_table_requests_are_400_and_change_nothing(string body, string field)
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var id = (await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name = "T" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        var response = await portal.AsAdmin().PostAsync($"/api/listeners/{id}/tables", Body(body));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Null(await portal.WithDbAsync(db => db.Listeners.Where(l => l.Id == id).Select(l => l.SchemaJson).SingleAsync()));
    }

    [Fact]
    public async Task A_root_path_missing_from_the_sample_is_422()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var id = (await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name = "P" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var response = await portal.AsAdmin().PostAsync($"/api/listeners/{id}/tables/preview", Body("""{"sample":{"id":1},"baseName":"x","rootPath":"data.items"}"""));
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Generating_again_adds_columns_and_keeps_data_but_a_destructive_change_needs_confirmation()
    {
        var listener = await portal.CreateListenerAsync();
        var hook = portal.Anonymous();
        await (await hook.SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1,"name":"kept"}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var admin = portal.AsAdmin();

        var widened = OrdersSample.Replace("\"name\":\"First\"", "\"name\":\"First\",\"color\":\"red\"", StringComparison.Ordinal);
        var added = await (await admin.PostAsJsonAsync($"/api/listeners/{listener.Id}/tables", new { sample = widened, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" } }))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(added.GetProperty("losses").EnumerateArray());
        Assert.Contains(added.GetProperty("statements").EnumerateArray(), s => s.GetString()!.Contains("ADD COLUMN \"color\"", StringComparison.Ordinal));
        await (await hook.SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":2,"color":"blue"}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, await portal.RecordCountAsync(listener.Id));

        const string narrowed = """{"data":{"items":[{"id":1,"name":"x"}]}}""";
        var refused = await admin.PostAsJsonAsync($"/api/listeners/{listener.Id}/tables", new { sample = narrowed, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" } });
        var problem = await refused.AssertProblemAsync(HttpStatusCode.Conflict);
        var losses = problem.GetProperty("losses").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.Contains(losses, l => l.Contains("orders_comments", StringComparison.Ordinal));
        Assert.Contains(losses, l => l.Contains("orders.color", StringComparison.Ordinal));
        var stillThere = (await portal.RecordsAsync(listener.Id)).GetProperty("items").EnumerateArray().Single(r => r.GetProperty("id").GetInt64() == 2);
        Assert.Equal("blue", stillThere.GetProperty("color").GetString());

        await (await admin.PostAsJsonAsync($"/api/listeners/{listener.Id}/tables", new { sample = narrowed, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" }, confirmDestructive = true }))
            .ReadJsonAsync(HttpStatusCode.OK);
        var after = (await portal.RecordsAsync(listener.Id)).GetProperty("items").EnumerateArray().Single(r => r.GetProperty("id").GetInt64() == 1);
        Assert.False(after.TryGetProperty("color", out _));
        Assert.Equal("kept", after.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Payload_field_names_cannot_inject_sql()
    {
        const string sample = """{"id":1,"x\"; DROP TABLE \"Integrations\"; --":"boom","items":[{"a\"]; DELETE FROM AspNetUsers; --":1}]}""";
        var listener = await portal.CreateListenerAsync(sample: sample, rootPath: "");
        var before = await portal.WithDbAsync(db => db.Users.CountAsync());

        var response = await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, sample));

        await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Users.CountAsync()));
        Assert.True(await portal.WithDbAsync(db => db.Integrations.AnyAsync()));
        var record = (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0];
        Assert.Contains(record.EnumerateObject(), p => p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == "boom");
    }

    [Fact]
    public async Task Records_page_and_refuse_bad_paging()
    {
        var listener = await portal.CreateListenerAsync();
        var records = string.Join(",", Enumerable.Range(1, 7).Select(i => $"{{\"id\":{i}}}"));
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, $"{{\"data\":{{\"items\":[{records}]}}}}"))).ReadJsonAsync(HttpStatusCode.OK);

        var page2 = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?page=2&pageSize=3")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(7, page2.GetProperty("total").GetInt64());
        Assert.Equal(3, page2.GetProperty("items").GetArrayLength());
        var page3 = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?page=3&pageSize=3")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, page3.GetProperty("items").GetArrayLength());

        await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?page=0")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?pageSize=501")).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Support_reads_listeners_and_records_but_every_write_and_token_is_403()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Token" });
        var support = await portal.AsSupportAsync();

        await (await support.GetAsync($"/api/integrations/{listener.IntegrationId}/listeners")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.GetAsync($"/api/listeners/{listener.Id}/records")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.GetAsync("/api/logs")).ReadJsonAsync(HttpStatusCode.OK);

        await (await support.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/listeners", new { name = "S" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PutAsJsonAsync($"/api/listeners/{listener.Id}", new { name = "S" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.DeleteAsync($"/api/listeners/{listener.Id}")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsync($"/api/listeners/{listener.Id}/token", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsJsonAsync($"/api/listeners/{listener.Id}/tables/preview", new { sample = "{}", baseName = "x" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsJsonAsync($"/api/listeners/{listener.Id}/tables", new { sample = "{}", baseName = "x" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsync("/api/maintenance/retention/run", null)).AssertProblemAsync(HttpStatusCode.Forbidden);

        // The old token still works: nothing was rotated.
        var request = Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1}}}""");
        request.Headers.Add("X-Token", listener.Token);
        await (await portal.Anonymous().SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Anonymous_management_calls_are_401()
    {
        await (await portal.Anonymous().GetAsync("/api/listeners")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.Anonymous().GetAsync("/api/logs")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.Anonymous().PostAsync("/api/maintenance/retention/run", null)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("""{"data":{"orders":[{"id":7,"lines":[{"sku":"a"}]},{"id":8,"lines":[]}]}}""", "data.orders")]
    [InlineData("""[{"id":1,"name":"x"},{"id":2,"name":"y"}]""", "")]
    [InlineData("""{"id":1,"name":"it's"}""", "")]
    public async Task The_example_body_is_accepted_by_the_listener_as_configured(string sample, string rootPath)
    {
        var listener = await portal.CreateListenerAsync(sample: sample, rootPath: rootPath);
        var view = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        var example = view.GetProperty("exampleBody").GetString()!;

        var response = await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, example));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));
    }
}
