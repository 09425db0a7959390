using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Logs;

public sealed class LogsEndpointsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<HttpResponseMessage> PostAsync(TestListener listener, string json, Action<HttpRequestMessage>? configure = null)
    {
        var request = Json(HttpMethod.Post, listener.HookPath, json);
        configure?.Invoke(request);
        return await portal.Anonymous().SendAsync(request);
    }

    [Fact]
    public async Task Filtering_by_name_and_state_and_paging_give_exact_counts_newest_first()
    {
        var name = "Filtered-" + Guid.NewGuid().ToString("N")[..6];
        var listener = await portal.CreateListenerAsync(name: name);
        var other = await portal.CreateListenerAsync();
        for (var i = 1; i <= 5; i++)
        {
            await PostAsync(listener, $"{{\"data\":{{\"items\":{{\"id\":{i}}}}}}}");
        }

        for (var i = 0; i < 3; i++)
        {
            await PostAsync(listener, "{\"data\":{\"items\":{\"id\":\"bad\"}}}");
        }

        await PostAsync(other, "{\"data\":{\"items\":{\"id\":1}}}");

        var all = await portal.LogsAsync($"name={name}&state=all");
        Assert.Equal(8, all.GetProperty("total").GetInt32());
        var errors = await portal.LogsAsync($"name={name}&state=error");
        Assert.Equal(3, errors.GetProperty("total").GetInt32());
        Assert.All(errors.GetProperty("items").EnumerateArray(), e => Assert.Equal(422, e.GetProperty("status").GetInt32()));
        var successes = await portal.LogsAsync($"name={name}&state=success&direction=inbound&pageSize=2&page=3");
        Assert.Equal(5, successes.GetProperty("total").GetInt32());
        Assert.Equal(1, successes.GetProperty("items").GetArrayLength());

        var ids = all.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderByDescending(i => i).ToList(), ids);
        Assert.Equal(0, (await portal.LogsAsync($"name={name}&direction=outbound")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Free_text_and_time_range_filter()
    {
        var listener = await portal.CreateListenerAsync();
        await PostAsync(listener, "{\"data\":{\"items\":{\"id\":1,\"name\":\"needle-in-body\"}}}");
        await PostAsync(listener, "{\"data\":{\"items\":{\"id\":2,\"name\":\"hay\"}}}");

        var found = await portal.LogsAsync($"sourceId={listener.Id}&q=needle-in-body");
        Assert.Equal(1, found.GetProperty("total").GetInt32());

        var now = portal.Clock.GetUtcNow().UtcDateTime;
        Assert.Equal(2, (await portal.LogsAsync($"sourceId={listener.Id}&from={now.AddMinutes(-1):O}&to={now.AddMinutes(1):O}")).GetProperty("total").GetInt32());
        Assert.Equal(0, (await portal.LogsAsync($"sourceId={listener.Id}&from={now.AddMinutes(1):O}")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Pages_follow_the_next_cursor_and_a_changed_or_foreign_cursor_is_a_400_problem()
    {
        var listener = await portal.CreateListenerAsync();
        for (var i = 1; i <= 5; i++)
        {
            await PostAsync(listener, $"{{\"data\":{{\"items\":{{\"id\":{i}}}}}}}");
        }

        var first = await portal.LogsAsync($"sourceId={listener.Id}&pageSize=2");
        Assert.Equal(5, first.GetProperty("total").GetInt32());
        Assert.False(first.GetProperty("totalCapped").GetBoolean());
        var ids = new List<long>();
        var page = first;
        while (true)
        {
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
            if (page.GetProperty("next").ValueKind == JsonValueKind.Null)
            {
                break;
            }

            page = await portal.LogsAsync($"sourceId={listener.Id}&pageSize=2&cursor={Uri.EscapeDataString(page.GetProperty("next").GetString()!)}");
        }

        Assert.Equal(5, ids.Distinct().Count());
        Assert.Equal(ids.OrderByDescending(i => i), ids);

        var next = first.GetProperty("next").GetString()!;
        var changed = await (await portal.AsAdmin().GetAsync($"/api/logs?sourceId={listener.Id}&cursor={Uri.EscapeDataString(next[..^4])}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(changed.GetProperty("errors").TryGetProperty("cursor", out _));
        var foreign = await (await portal.AsAdmin().GetAsync($"/api/logs?sourceId={listener.Id}&state=error&cursor={Uri.EscapeDataString(next)}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("another search", foreign.GetProperty("errors").GetProperty("cursor")[0].GetString());
    }

    [Fact]
    public async Task An_entry_has_headers_and_bodies_with_secrets_redacted()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Secret-Token" });
        var response = await PostAsync(listener, "{\"data\":{\"items\":{\"id\":1}}}", r =>
        {
            r.Headers.Add("X-Secret-Token", listener.Token);
            r.Headers.Authorization = new AuthenticationHeaderValue("Basic", "c2VjcmV0OnNlY3JldA==");
            r.Headers.Add("Cookie", "session=abc123");
            r.Headers.Add("X-Trace", "visible");
        });
        await response.ReadJsonAsync(HttpStatusCode.OK);

        var item = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items")[0];
        var detailResponse = await portal.AsAdmin().GetAsync($"/api/logs/{item.GetProperty("id").GetInt64()}");
        var text = await detailResponse.Content.ReadAsStringAsync();
        var detail = await detailResponse.ReadJsonAsync(HttpStatusCode.OK);

        var headers = detail.GetProperty("requestHeaders");
        Assert.Equal("[redacted]", headers.GetProperty("X-Secret-Token").GetString());
        Assert.Equal("[redacted]", headers.GetProperty("Authorization").GetString());
        Assert.Equal("[redacted]", headers.GetProperty("Cookie").GetString());
        Assert.Equal("visible", headers.GetProperty("X-Trace").GetString());
        Assert.DoesNotContain(listener.Token!, text);
        Assert.DoesNotContain("c2VjcmV0OnNlY3JldA==", text);
        Assert.DoesNotContain("abc123", text);
        Assert.Contains("\"id\":1", detail.GetProperty("requestBody").GetString());
        Assert.Contains("\"inserted\":1", detail.GetProperty("responseBody").GetString());
        Assert.Equal("success", detail.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_token_sent_in_the_query_is_redacted_from_the_logged_path()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Query", name = "token" });
        var request = Json(HttpMethod.Post, listener.HookPath + "?token=" + listener.Token + "&keep=1", "{\"data\":{\"items\":{\"id\":1}}}");
        await (await portal.Anonymous().SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);

        var item = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items")[0];
        Assert.Equal(listener.HookPath + "?token=[redacted]&keep=1", Uri.UnescapeDataString(item.GetProperty("path").GetString()!));

        // The receiver reads query names without case, so the log must mask them the same way.
        var upper = Json(HttpMethod.Post, listener.HookPath + "?TOKEN=" + listener.Token, "{\"data\":{\"items\":{\"id\":2}}}");
        await (await portal.Anonymous().SendAsync(upper)).ReadJsonAsync(HttpStatusCode.OK);
        var latest = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items")[0];
        Assert.Equal(listener.HookPath + "?TOKEN=[redacted]", Uri.UnescapeDataString(latest.GetProperty("path").GetString()!));
        Assert.DoesNotContain(listener.Token!, (await portal.LogsAsync($"sourceId={listener.Id}")).GetRawText());
    }

    [Theory]
    [InlineData("state=broken", "state")]
    [InlineData("direction=sideways", "direction")]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=1000", "pageSize")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    public async Task Bad_filters_are_400_naming_the_parameter(string query, string field)
    {
        var problem = await (await portal.AsAdmin().GetAsync("/api/logs?" + query)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task An_unknown_entry_is_404()
    {
        await (await portal.AsAdmin().GetAsync("/api/logs/987654321")).AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
