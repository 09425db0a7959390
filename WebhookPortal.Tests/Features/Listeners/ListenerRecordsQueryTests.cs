using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>The Data tab's API: search by key or text, sort, and the CSV/JSON export of the current filter.</summary>
public sealed class ListenerRecordsQueryTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Sample = """{"id":1,"name":"x","price":1.5,"created":"2026-01-01T10:00:00Z","lines":[{"sku":"s"}]}""";

    private async Task<TestListener> SeedAsync()
    {
        var listener = await portal.CreateListenerAsync(sample: Sample, rootPath: "");
        string[] records =
        [
            """{"id":1,"name":"Alpha widget","price":30,"created":"2026-03-01T08:00:00Z","lines":[{"sku":"A-1"}]}""",
            """{"id":2,"name":"beta 100% cotton","price":-5,"created":"2026-01-15T08:00:00Z","lines":[]}""",
            """{"id":12,"name":"=HYPERLINK(\"http://evil.test\")","price":10,"created":"2026-02-01T08:00:00Z","lines":[{"sku":"C,\"3\""}]}""",
            """{"id":21,"name":"Gamma WIDGET","price":20,"created":null,"lines":[]}""",
        ];
        foreach (var record in records)
        {
            await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, record))).ReadJsonAsync(HttpStatusCode.OK);
        }

        return listener;
    }

    private async Task<long[]> IdsAsync(TestListener listener, string query)
    {
        var page = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?{query}")).ReadJsonAsync(HttpStatusCode.OK);
        var ids = page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray();
        Assert.True(page.GetProperty("total").GetInt64() >= ids.Length);
        return ids;
    }

    [Fact]
    public async Task Search_finds_text_columns_without_regard_to_case_and_the_key_and_takes_wildcards_literally()
    {
        var listener = await SeedAsync();

        Assert.Equal(new long[] { 1, 21 }, await IdsAsync(listener, "q=widget&sort=id&order=asc"));
        // The key is searched as text.
        Assert.Equal(new long[] { 12 }, await IdsAsync(listener, "q=12"));
        Assert.Equal(new long[] { 21 }, await IdsAsync(listener, "q=21"));
        // % and _ are the text itself, not patterns.
        Assert.Equal(new long[] { 2 }, await IdsAsync(listener, "q=" + Uri.EscapeDataString("100%")));
        Assert.Empty(await IdsAsync(listener, "q=" + Uri.EscapeDataString("a_p")));
        Assert.Empty(await IdsAsync(listener, "q=nothing-like-this"));
        // The timestamp column is text too.
        Assert.Equal(new long[] { 1 }, await IdsAsync(listener, "q=2026-03"));

        var filtered = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?q=widget&pageSize=1")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, filtered.GetProperty("total").GetInt64());
        Assert.Equal(1, filtered.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Sort_orders_by_any_root_column_either_way_and_pages_follow_the_order()
    {
        var listener = await SeedAsync();

        Assert.Equal(new[] { -5.0, 10, 20, 30 }, await PricesAsync("sort=price&order=asc"));
        Assert.Equal(new[] { 30.0, 20, 10, -5 }, await PricesAsync("sort=price"));
        Assert.Equal(new long[] { 1, 2, 12, 21 }, await IdsAsync(listener, "sort=ID&order=asc"));
        Assert.Equal(new long[] { 12, 21 }, await IdsAsync(listener, "sort=id&order=asc&page=2&pageSize=2"));
        // The default stays newest first.
        Assert.Equal(21L, (await IdsAsync(listener, ""))[0]);

        async Task<double[]> PricesAsync(string query)
        {
            var page = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?{query}")).ReadJsonAsync(HttpStatusCode.OK);
            return page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("price").GetDouble()).ToArray();
        }
    }

    [Theory]
    [InlineData("sort=nope", "sort")]
    [InlineData("sort=lines", "sort")]
    [InlineData("sort=" + "name%22%3B%20DROP%20TABLE%20x%3B--", "sort")]
    [InlineData("order=sideways", "order")]
    public async Task A_bad_sort_or_order_is_a_400_that_names_the_parameter(string query, string field)
    {
        var listener = await SeedAsync();

        var problem = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        var export = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records/export?format=csv&{query}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(export.GetProperty("errors").TryGetProperty(field, out _), export.ToString());
    }

    [Fact]
    public async Task A_search_text_over_200_characters_is_refused()
    {
        var listener = await SeedAsync();

        var problem = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?q={new string('a', 201)}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("q", out _));
    }

    [Fact]
    public async Task Csv_export_has_every_matching_record_in_order_with_child_sets_as_json_and_formulas_escaped()
    {
        var listener = await SeedAsync();

        var response = await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records/export?format=csv&sort=id&order=asc");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith(".csv", response.Content.Headers.ContentDisposition!.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName, StringComparison.Ordinal);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,name,price,created,lines,lastModified", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("1,Alpha widget,30,2026-03-01T08:00:00.0000000Z,\"[{\"\"sku\"\":\"\"A-1\"\"}]\",", lines[1], StringComparison.Ordinal);
        // A negative number stays a number; text that a spreadsheet would run as a formula is escaped.
        Assert.StartsWith("2,beta 100% cotton,-5,", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("12,\"'=HYPERLINK(\"\"http://evil.test\"\")\",10,", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("21,Gamma WIDGET,20,,[],", lines[4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_export_is_the_current_filter_in_the_records_shape()
    {
        var listener = await SeedAsync();

        var response = await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records/export?format=json&q=widget&sort=price&order=asc");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var records = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(new long[] { 21, 1 }, records.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray());
        Assert.Equal("A-1", records[1].GetProperty("lines")[0].GetProperty("sku").GetString());
    }

    [Fact]
    public async Task Export_is_complete_past_one_batch()
    {
        var listener = await portal.CreateListenerAsync(sample: """{"id":1,"name":"x"}""", rootPath: "");
        var many = "[" + string.Join(",", Enumerable.Range(1, 1234).Select(i => $"{{\"id\":{i},\"name\":\"n{i}\"}}")) + "]";
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, many))).ReadJsonAsync(HttpStatusCode.OK);

        var json = JsonDocument.Parse(await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records/export?format=json&sort=id&order=asc")).Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(Enumerable.Range(1, 1234).Select(i => (long)i), json.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task A_listener_without_tables_exports_nothing_and_a_bad_format_or_listener_is_refused()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name = "Bare", enabled = true, auth = new { method = "None" } }))
            .ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();

        Assert.Equal("[]", await (await portal.AsAdmin().GetAsync($"/api/listeners/{id}/records/export?format=json")).Content.ReadAsStringAsync());
        Assert.Equal("", await (await portal.AsAdmin().GetAsync($"/api/listeners/{id}/records/export?format=csv")).Content.ReadAsStringAsync());
        var problem = await (await portal.AsAdmin().GetAsync($"/api/listeners/{id}/records/export?format=xlsx")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("format", out _));
        await (await portal.AsAdmin().GetAsync($"/api/listeners/{id}/records/export")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await portal.AsAdmin().GetAsync($"/api/listeners/{Guid.NewGuid()}/records/export?format=csv")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Support_exports_and_searches_a_subscriber_key_and_anonymous_callers_do_not()
    {
        var listener = await SeedAsync();
        var support = await portal.AsSupportAsync();

        await (await support.GetAsync($"/api/listeners/{listener.Id}/records?q=widget")).ReadJsonAsync(HttpStatusCode.OK);
        var export = await support.GetAsync($"/api/listeners/{listener.Id}/records/export?format=csv");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);

        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: listener.IntegrationId));
        await (await subscriber.GetAsync($"/api/listeners/{listener.Id}/records/export?format=csv")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().GetAsync($"/api/listeners/{listener.Id}/records/export?format=csv")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }
}
