using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>Issue 18: renaming and retyping inferred columns, the SQL preview, and who may do it.</summary>
public sealed class TableOverridesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<(Guid IntegrationId, Guid Id)> NewListenerWithoutTablesAsync(object? auth = null)
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners",
            new { name = "L-" + Guid.NewGuid().ToString("N")[..8], enabled = true, auth = auth ?? new { method = "None" } })).ReadJsonAsync(HttpStatusCode.Created);
        return (integrationId, created.GetProperty("id").GetGuid());
    }

    private Task<string?> SchemaJsonAsync(Guid id) => portal.WithDbAsync(db => db.Listeners.Where(l => l.Id == id).Select(l => l.SchemaJson).SingleAsync());

    private async Task<bool> HasPhysicalTablesAsync(Guid id) =>
        (await portal.WithDbAsync(PhysicalTables.NamesAsync)).Any(t => t.StartsWith("l" + id.ToString("N")[..12], StringComparison.Ordinal));

    private static object Renamed => new Dictionary<string, object>
    {
        ["orders.id"] = new { name = "order_id" },
        ["orders.customer_city"] = new { name = "city" },
        ["orders.price"] = new { type = "Text" },
        ["orders.created"] = new { name = "created_at", type = "Text" },
        ["orders_comments.text"] = new { name = "body" },
    };

    [Fact]
    public async Task Preview_returns_the_create_sql_with_the_renamed_and_retyped_columns_and_creates_nothing()
    {
        var (_, id) = await NewListenerWithoutTablesAsync();

        var preview = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{id}/tables/preview",
            new { sample = OrdersSample, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "order_id" }, columns = Renamed })).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(portal.OnPostgres ? "PostgreSQL" : "SQLite", preview.GetProperty("dialect").GetString());
        var root = preview.GetProperty("tables")[0].GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.True(root["order_id"].GetProperty("primaryKey").GetBoolean());
        Assert.Equal("id", root["order_id"].GetProperty("source").GetString());
        Assert.Equal("customer.city", root["city"].GetProperty("source").GetString());
        Assert.Equal("Text", root["price"].GetProperty("type").GetString());
        Assert.False(root.ContainsKey("customer_city"));
        Assert.True(root["tags"].GetProperty("json").GetBoolean());

        var statements = preview.GetProperty("statements").EnumerateArray().Select(s => s.GetString()!).ToList();
        var createRoot = Assert.Single(statements, s => s.StartsWith("CREATE TABLE", StringComparison.Ordinal) && s.Contains("_orders\" (", StringComparison.Ordinal));
        Assert.Contains("\"order_id\" ", createRoot, StringComparison.Ordinal);
        Assert.Contains("\"city\" ", createRoot, StringComparison.Ordinal);
        Assert.Contains("\"created_at\" ", createRoot, StringComparison.Ordinal);
        Assert.Contains("\"price\" text", createRoot, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("PRIMARY KEY (\"order_id\")", createRoot, StringComparison.Ordinal);
        Assert.DoesNotContain("customer_city", createRoot, StringComparison.Ordinal);
        Assert.Contains(statements, s => s.Contains("_orders_comments\" (", StringComparison.Ordinal) && s.Contains("\"body\" ", StringComparison.Ordinal));
        Assert.Empty(preview.GetProperty("losses").EnumerateArray());

        Assert.Null(await SchemaJsonAsync(id));
        Assert.False(await HasPhysicalTablesAsync(id));
    }

    [Fact]
    public async Task Preview_without_a_key_lists_the_tables_but_no_sql()
    {
        var (_, id) = await NewListenerWithoutTablesAsync();

        var preview = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{id}/tables/preview", new { sample = OrdersSample, baseName = "orders", rootPath = "data.items" }))
            .ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(2, preview.GetProperty("tables").GetArrayLength());
        Assert.Empty(preview.GetProperty("statements").EnumerateArray());
    }

    [Fact]
    public async Task Preview_of_an_existing_listener_shows_the_alter_statements_and_what_a_rename_loses()
    {
        var listener = await portal.CreateListenerAsync();

        var preview = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/tables/preview", new
        {
            sample = OrdersSample, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" },
            columns = new Dictionary<string, object> { ["orders.name"] = new { name = "title" } },
        })).ReadJsonAsync(HttpStatusCode.OK);

        var statements = preview.GetProperty("statements").EnumerateArray().Select(s => s.GetString()!).ToList();
        Assert.Contains(statements, s => s.StartsWith("ALTER TABLE", StringComparison.Ordinal) && s.Contains("ADD COLUMN \"title\"", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.StartsWith("ALTER TABLE", StringComparison.Ordinal) && s.Contains("DROP COLUMN \"name\"", StringComparison.Ordinal));
        Assert.DoesNotContain(statements, s => s.StartsWith("CREATE TABLE", StringComparison.Ordinal));
        Assert.Contains(preview.GetProperty("losses").EnumerateArray(), l => l.GetString()!.Contains("orders.name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Records_sent_after_creation_land_in_the_renamed_and_retyped_columns()
    {
        var (integrationId, id) = await NewListenerWithoutTablesAsync(new { method = "Token", readFrom = "Header", name = "X-Token" });
        var admin = portal.AsAdmin();
        var token = (await (await admin.PostAsync($"/api/listeners/{id}/token", null)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;

        var generated = await (await admin.PostAsJsonAsync($"/api/listeners/{id}/tables",
            new { sample = OrdersSample, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "order_id" }, columns = Renamed })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(generated.GetProperty("statements").EnumerateArray(), s => s.GetString()!.Contains("\"city\"", StringComparison.Ordinal));

        var push = Json(HttpMethod.Post, $"/hooks/{integrationId}/{id}", """
            {"data":{"items":[{"id":7,"name":"Seven","price":12.25,"active":true,"created":"2026-03-01T08:00:00Z",
              "customer":{"city":"Lyon","zip":"69001"},"tags":["x"],"comments":[{"text":"first","at":"2026-03-01T09:00:00Z"}]}]}}
            """);
        push.Headers.Add("X-Token", token);
        var summary = await (await portal.Anonymous().SendAsync(push)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, summary.GetProperty("inserted").GetInt32());

        var record = Assert.Single((await portal.RecordsAsync(id)).GetProperty("items").EnumerateArray());
        Assert.Equal(7, record.GetProperty("order_id").GetInt64());
        Assert.Equal("Lyon", record.GetProperty("city").GetString());
        Assert.Equal("2026-03-01T08:00:00Z", record.GetProperty("created_at").GetString());
        // Retyped to Text: the number is stored as its text.
        Assert.Equal(JsonValueKind.String, record.GetProperty("price").ValueKind);
        Assert.Equal("12.25", record.GetProperty("price").GetString());
        Assert.False(record.TryGetProperty("customer_city", out _));
        Assert.False(record.TryGetProperty("id", out _));
        Assert.Equal("first", Assert.Single(record.GetProperty("comments").EnumerateArray()).GetProperty("body").GetString());

        // The key is the renamed column for the receiver too: DELETE by it.
        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/hooks/{integrationId}/{id}/7");
        delete.Headers.Add("X-Token", token);
        await (await portal.Anonymous().SendAsync(delete)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, await portal.RecordCountAsync(id));
    }

    [Fact]
    public async Task The_older_column_types_map_still_retypes()
    {
        var (_, id) = await NewListenerWithoutTablesAsync();

        var preview = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{id}/tables/preview",
            new { sample = OrdersSample, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" }, columnTypes = new Dictionary<string, string> { ["orders.price"] = "Text" } }))
            .ReadJsonAsync(HttpStatusCode.OK);

        var price = preview.GetProperty("tables")[0].GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "price");
        Assert.Equal("Text", price.GetProperty("type").GetString());
    }

    public static TheoryData<string, string, string> BadOverrides => new()
    {
        { """{"orders.name":{"name":"1st"}}""", "columns[orders.name]", "starting with a letter" },
        { """{"orders.name":{"name":"has space"}}""", "columns[orders.name]", "letters, digits and underscores" },
        { """{"orders.name":{"name":"x\"; DROP TABLE Integrations; --"}}""", "columns[orders.name]", "letters, digits and underscores" },
        { """{"orders.name":{"name":""}}""", "columns[orders.name]", "required" },
        { """{"orders.name":{"name":"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"}}""", "columns[orders.name]", "at most 48" },
        { """{"orders.name":{"name":"lastModified"}}""", "columns[orders.name]", "keeps itself" },
        { """{"orders.name":{"name":"LASTMODIFIED"}}""", "columns[orders.name]", "keeps itself" },
        { """{"orders.name":{"name":"price"}}""", "columns[orders.name]", "already named 'price'" },
        { """{"orders.name":{"name":"Price"}}""", "columns[orders.name]", "already named 'Price'" },
        { """{"orders.name":{"name":"same"},"orders.price":{"name":"same"}}""", "columns[orders.price]", "already named 'same'" },
        { """{"orders.nope":{"name":"x"}}""", "columns", "Unknown columns: orders.nope" },
        { """{"orders.tags":{"type":"Integer"}}""", "columns[orders.tags]", "type stays Text" },
    };

    [Theory]
    [MemberData(nameof(BadOverrides))]
    public async Task Bad_overrides_are_400_naming_the_column_and_create_nothing(string columns, string field, string message)
    {
        var (_, id) = await NewListenerWithoutTablesAsync();
        var body = $$"""{"sample":{{JsonSerializer.Serialize(OrdersSample)}},"baseName":"orders","rootPath":"data.items","primaryKey":["id"],"columns":{{columns}}}""";

        foreach (var path in new[] { "tables/preview", "tables" })
        {
            var response = await portal.AsAdmin().PostAsync($"/api/listeners/{id}/{path}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.ToString());
            Assert.Contains(message, messages[0].GetString(), StringComparison.Ordinal);
        }

        Assert.Null(await SchemaJsonAsync(id));
        Assert.False(await HasPhysicalTablesAsync(id));
    }

    [Fact]
    public async Task A_key_may_name_the_inferred_column_of_a_renamed_one()
    {
        var (_, id) = await NewListenerWithoutTablesAsync();

        await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{id}/tables", new
        {
            sample = OrdersSample, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" },
            columns = new Dictionary<string, object> { ["orders.id"] = new { name = "order_id" } },
        })).ReadJsonAsync(HttpStatusCode.OK);

        var view = await (await portal.AsAdmin().GetAsync($"/api/listeners/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        var key = Assert.Single(view.GetProperty("tables").GetProperty("tables")[0].GetProperty("columns").EnumerateArray(), c => c.GetProperty("primaryKey").GetBoolean());
        Assert.Equal("order_id", key.GetProperty("name").GetString());
        Assert.Equal(["id"], key.GetProperty("source").EnumerateArray().Select(s => s.GetString()!).ToArray());
    }

    public static TheoryData<string, HttpStatusCode> Roles => new()
    {
        { PortalRoles.Admin, HttpStatusCode.OK },
        { PortalRoles.Support, HttpStatusCode.Forbidden },
        { PortalRoles.Subscriber, HttpStatusCode.Forbidden },
        { "anonymous", HttpStatusCode.Unauthorized },
    };

    private async Task<HttpClient> ClientAsync(string role, Guid integrationId) => role switch
    {
        PortalRoles.Admin => portal.AsAdmin(),
        PortalRoles.Support => await portal.AsSupportAsync(),
        PortalRoles.Subscriber => portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, null, integrationId)),
        _ => portal.Anonymous(),
    };

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Preview_with_overrides_per_role(string role, HttpStatusCode expected)
    {
        var (integrationId, id) = await NewListenerWithoutTablesAsync();
        var client = await ClientAsync(role, integrationId);

        var response = await client.PostAsJsonAsync($"/api/listeners/{id}/tables/preview",
            new { sample = OrdersSample, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "order_id" }, columns = Renamed });

        if (expected == HttpStatusCode.OK)
        {
            Assert.NotEmpty((await response.ReadJsonAsync(expected)).GetProperty("statements").EnumerateArray());
        }
        else
        {
            await response.AssertProblemAsync(expected);
        }
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Generate_with_overrides_per_role(string role, HttpStatusCode expected)
    {
        var (integrationId, id) = await NewListenerWithoutTablesAsync();
        var client = await ClientAsync(role, integrationId);

        var response = await client.PostAsJsonAsync($"/api/listeners/{id}/tables",
            new { sample = OrdersSample, baseName = "orders", rootPath = "data.items", primaryKey = new[] { "order_id" }, columns = Renamed });

        if (expected == HttpStatusCode.OK)
        {
            await response.ReadJsonAsync(expected);
            Assert.Contains("\"order_id\"", await SchemaJsonAsync(id), StringComparison.Ordinal);
        }
        else
        {
            await response.AssertProblemAsync(expected);
            Assert.Null(await SchemaJsonAsync(id));
            Assert.False(await HasPhysicalTablesAsync(id));
        }
    }

    /// <summary>A request refused for want of tables, logged with its body: the sample of "Generate Tables from this body".</summary>
    private async Task<(Guid IntegrationId, Guid ListenerId, long EntryId, string Body)> LoggedRefusalAsync()
    {
        var (integrationId, id) = await NewListenerWithoutTablesAsync();
        const string body = """{"id":5,"title":"Printer on fire","customer":{"city":"Paris"}}""";
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, $"/hooks/{integrationId}/{id}", body))).AssertProblemAsync(HttpStatusCode.Conflict);
        var entries = await portal.LogsAsync($"sourceId={id}");
        var entryId = Assert.Single(entries.GetProperty("items").EnumerateArray()).GetProperty("id").GetInt64();
        return (integrationId, id, entryId, body);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task A_logged_refusal_keeps_its_body_as_a_sample_per_role(string role, HttpStatusCode expected)
    {
        var (integrationId, _, entryId, body) = await LoggedRefusalAsync();
        var client = await ClientAsync(role, integrationId);

        var response = await client.GetAsync($"/api/logs/{entryId}");

        if (expected == HttpStatusCode.OK || role == PortalRoles.Support)
        {
            // Support reads the log (and the body) but cannot design tables: see the next test.
            var entry = await response.ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(body, entry.GetProperty("requestBody").GetString());
            Assert.Equal(JsonValueKind.Null, entry.GetProperty("notASampleReason").ValueKind);
        }
        else
        {
            await response.AssertProblemAsync(expected);
        }
    }

    [Fact]
    public async Task Support_cannot_generate_tables_from_a_logged_body_through_the_api()
    {
        var (_, listenerId, entryId, _) = await LoggedRefusalAsync();
        var support = await portal.AsSupportAsync();
        var body = (await (await support.GetAsync($"/api/logs/{entryId}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("requestBody").GetString();

        await (await support.PostAsJsonAsync($"/api/listeners/{listenerId}/tables/preview", new { sample = body, baseName = "records", primaryKey = new[] { "id" } })).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsJsonAsync($"/api/listeners/{listenerId}/tables", new { sample = body, baseName = "records", primaryKey = new[] { "id" } })).AssertProblemAsync(HttpStatusCode.Forbidden);

        Assert.Null(await SchemaJsonAsync(listenerId));
        Assert.False(await HasPhysicalTablesAsync(listenerId));
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_logged_with_the_reason_it_is_no_sample()
    {
        var listener = await portal.CreateListenerAsync();
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, "{not json"))).AssertProblemAsync(HttpStatusCode.BadRequest);
        var entryId = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items")[0].GetProperty("id").GetInt64();

        var entry = await (await portal.AsAdmin().GetAsync($"/api/logs/{entryId}")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("The logged body is not valid JSON.", entry.GetProperty("notASampleReason").GetString());
    }
}
