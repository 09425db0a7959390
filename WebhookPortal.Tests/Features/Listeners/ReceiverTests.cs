using System.Net;
using System.Net.Http.Json;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

public sealed class ReceiverTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static string Order(int id, string name = "N", params string[] comments) =>
        "{\"id\":" + id + ",\"name\":\"" + name + "\",\"price\":1.5,\"active\":false,\"customer\":{\"city\":\"Lyon\"},\"tags\":[\"t\"],\"comments\":["
        + string.Join(",", comments.Select(c => "{\"text\":\"" + c + "\"}")) + "]}";

    private static string Wrap(string records) => "{\"data\":{\"items\":" + records + "}}";

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, TestListener listener, string json, string suffix = "")
    {
        var request = Json(method, listener.HookPath + suffix, json);
        return await portal.Anonymous().SendAsync(request);
    }

    [Fact]
    public async Task Post_inserts_typed_records_with_flattened_columns_and_child_rows()
    {
        var listener = await portal.CreateListenerAsync();

        var response = await SendAsync(HttpMethod.Post, listener, Wrap($"[{Order(1, "A", "x", "y")},{Order(2, "B")}]"));

        var summary = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, summary.GetProperty("inserted").GetInt32());
        Assert.Equal(0, summary.GetProperty("updated").GetInt32());
        var records = await portal.RecordsAsync(listener.Id);
        Assert.Equal(2, records.GetProperty("total").GetInt64());
        var first = records.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("id").GetInt64() == 1);
        Assert.Equal(JsonValueKind.Number, first.GetProperty("id").ValueKind);
        Assert.Equal(1.5, first.GetProperty("price").GetDouble());
        Assert.Equal(JsonValueKind.False, first.GetProperty("active").ValueKind);
        Assert.Equal("Lyon", first.GetProperty("customer_city").GetString());
        Assert.Equal("t", first.GetProperty("tags")[0].GetString());
        Assert.Equal(["x", "y"], first.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToArray());
        Assert.True(DateTime.TryParse(first.GetProperty("lastModified").GetString(), out _));
    }

    [Fact]
    public async Task Put_replaces_the_record_and_its_children_instead_of_appending()
    {
        var listener = await portal.CreateListenerAsync();
        await (await SendAsync(HttpMethod.Post, listener, Wrap(Order(7, "Old", "c1", "c2", "c3")))).ReadJsonAsync(HttpStatusCode.OK);

        var response = await SendAsync(HttpMethod.Put, listener, Wrap(Order(7, "New", "only")));

        var summary = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, summary.GetProperty("inserted").GetInt32());
        Assert.Equal(1, summary.GetProperty("updated").GetInt32());
        var record = (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0];
        Assert.Equal("New", record.GetProperty("name").GetString());
        Assert.Equal(["only"], record.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToArray());
    }

    [Fact]
    public async Task Patch_changes_only_the_fields_present_and_replaces_a_child_set_present()
    {
        var listener = await portal.CreateListenerAsync();
        await (await SendAsync(HttpMethod.Post, listener, Wrap(Order(3, "Keep", "a", "b")))).ReadJsonAsync(HttpStatusCode.OK);

        var patched = await SendAsync(HttpMethod.Patch, listener, Wrap("""{"id":3,"price":42}"""));
        Assert.Equal(1, (await patched.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("updated").GetInt32());
        var record = (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0];
        Assert.Equal("Keep", record.GetProperty("name").GetString());
        Assert.Equal(42, record.GetProperty("price").GetDouble());
        Assert.Equal(2, record.GetProperty("comments").GetArrayLength());

        await (await SendAsync(HttpMethod.Patch, listener, Wrap("""{"id":3,"comments":[{"text":"z"}]}"""))).ReadJsonAsync(HttpStatusCode.OK);
        record = (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0];
        Assert.Equal(["z"], record.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToArray());
        Assert.Equal(42, record.GetProperty("price").GetDouble());
    }

    [Fact]
    public async Task Patch_of_a_missing_record_is_404_and_creates_nothing()
    {
        var listener = await portal.CreateListenerAsync();

        var response = await SendAsync(HttpMethod.Patch, listener, Wrap("""{"id":404,"name":"ghost"}"""));

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task Delete_by_record_id_removes_the_record_and_its_children_and_404s_after()
    {
        var listener = await portal.CreateListenerAsync();
        await (await SendAsync(HttpMethod.Post, listener, Wrap($"[{Order(1, "A", "c")},{Order(2, "B")}]"))).ReadJsonAsync(HttpStatusCode.OK);

        var deleted = await portal.Anonymous().DeleteAsync(listener.HookPath + "/1");
        Assert.Equal(1, (await deleted.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("deleted").GetInt32());

        var records = await portal.RecordsAsync(listener.Id);
        Assert.Equal([2L], records.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray());
        await (await portal.Anonymous().DeleteAsync(listener.HookPath + "/1")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Composite_keys_upsert_and_delete_by_query()
    {
        const string sample = """[{"region":"eu","code":7,"label":"x","lines":[{"sku":"s"}]}]""";
        var listener = await portal.CreateListenerAsync(sample: sample, rootPath: "", primaryKey: ["region", "code"]);

        await (await SendAsync(HttpMethod.Post, listener, """[{"region":"eu","code":7,"label":"a","lines":[{"sku":"1"}]},{"region":"us","code":7,"label":"b"}]""")).ReadJsonAsync(HttpStatusCode.OK);
        var update = await SendAsync(HttpMethod.Post, listener, """{"region":"eu","code":7,"label":"a2"}""");
        Assert.Equal(1, (await update.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("updated").GetInt32());
        Assert.Equal(2, await portal.RecordCountAsync(listener.Id));

        await (await portal.Anonymous().DeleteAsync(listener.HookPath + "/7")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        await (await portal.Anonymous().DeleteAsync(listener.HookPath + "?region=eu")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        var deleted = await portal.Anonymous().DeleteAsync(listener.HookPath + "?region=eu&code=7");
        Assert.Equal(1, (await deleted.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("deleted").GetInt32());

        var left = (await portal.RecordsAsync(listener.Id)).GetProperty("items");
        Assert.Equal("us", Assert.Single(left.EnumerateArray()).GetProperty("region").GetString());
    }

    [Theory]
    [InlineData("Header")]
    [InlineData("Query")]
    [InlineData("Authorization")]
    public async Task Every_token_read_method_accepts_the_token_and_refuses_a_wrong_one(string readFrom)
    {
        var auth = readFrom switch
        {
            "Header" => (object)new { method = "Token", readFrom, name = "X-Webhook-Token" },
            "Query" => new { method = "Token", readFrom, name = "token" },
            _ => new { method = "Token", readFrom, prefix = "Bearer" },
        };
        var listener = await portal.CreateListenerAsync(auth: auth);

        HttpRequestMessage Request(string token)
        {
            var suffix = readFrom == "Query" ? "?token=" + Uri.EscapeDataString(token) : "";
            var request = Json(HttpMethod.Post, listener.HookPath + suffix, Wrap(Order(1)));
            if (readFrom == "Header")
            {
                request.Headers.Add("X-Webhook-Token", token);
            }
            else if (readFrom == "Authorization")
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return request;
        }

        await (await portal.Anonymous().SendAsync(Request("wrong-token"))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Wrap(Order(1))))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));

        await (await portal.Anonymous().SendAsync(Request(listener.Token!))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));

        // The token never reaches the log, wherever it was sent.
        var logs = await portal.LogsAsync($"sourceId={listener.Id}&pageSize=10");
        foreach (var item in logs.GetProperty("items").EnumerateArray())
        {
            var detail = await (await portal.AsAdmin().GetAsync($"/api/logs/{item.GetProperty("id").GetInt64()}")).Content.ReadAsStringAsync();
            Assert.DoesNotContain(listener.Token!, detail);
            Assert.DoesNotContain("wrong-token", detail);
        }
    }

    [Fact]
    public async Task A_token_rotated_without_overlap_replaces_the_old_one_at_once()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Token" });
        // (With the default overlap the old token keeps working for a day: ListenerTokenRotationTests.)
        var rotated = (await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/token", new { overlap = "00:00:00" })).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        Assert.NotEqual(listener.Token, rotated);
        Assert.True(rotated.Length >= 43);

        var old = Json(HttpMethod.Post, listener.HookPath, Wrap(Order(1)));
        old.Headers.Add("X-Token", listener.Token);
        await (await portal.Anonymous().SendAsync(old)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var fresh = Json(HttpMethod.Post, listener.HookPath, Wrap(Order(1)));
        fresh.Headers.Add("X-Token", rotated);
        await (await portal.Anonymous().SendAsync(fresh)).ReadJsonAsync(HttpStatusCode.OK);
    }

    public static TheoryData<string, string?, int, string?> BadInputs => new()
    {
        { "{\"data\":", "application/json", 400, null },
        { "id=1", "text/plain", 415, null },
        { Wrap("""{"name":"no key"}"""), "application/json", 422, "id" },
        { Wrap("""{"id":null}"""), "application/json", 422, "id" },
        { Wrap("""{"id":"seven"}"""), "application/json", 422, "id" },
        { Wrap("""{"id":1,"active":"yes"}"""), "application/json", 422, "active" },
        { Wrap("""{"id":1,"created":"yesterday"}"""), "application/json", 422, "created" },
        { Wrap("""{"id":1,"customer":{"city":{"nested":true}}}"""), "application/json", 422, "customer.city" },
        { Wrap("""{"id":1,"comments":"not an array"}"""), "application/json", 422, "comments" },
        { """{"other":{"items":[]}}""", "application/json", 422, null },
        { Wrap("""[{"id":1},{"id":"bad"}]"""), "application/json", 422, "id" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_refused_with_problem_details_nothing_stored_and_an_error_logged(string body, string? contentType, int status, string? field)
    {
        var listener = await portal.CreateListenerAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, listener.HookPath) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);

        var response = await portal.Anonymous().SendAsync(request);

        var problem = await response.AssertProblemAsync((HttpStatusCode)status);
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
            Assert.Contains(field, problem.GetProperty("detail").GetString());
        }

        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
        var logs = await portal.LogsAsync($"sourceId={listener.Id}");
        var entry = Assert.Single(logs.GetProperty("items").EnumerateArray());
        Assert.Equal("error", entry.GetProperty("state").GetString());
        Assert.Equal(status, entry.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_nothing_is_stored()
    {
        var listener = await portal.CreateListenerAsync();
        var big = Wrap($$"""{"id":1,"name":"{{new string('x', 70_000)}}"}""");

        var response = await SendAsync(HttpMethod.Post, listener, big);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413_too()
    {
        var listener = await portal.CreateListenerAsync();
        var bytes = Encoding.UTF8.GetBytes(Wrap($$"""{"id":1,"name":"{{new string('y', 70_000)}}"}"""));
        var request = new HttpRequestMessage(HttpMethod.Post, listener.HookPath) { Content = new StreamContent(new NonSeekableStream(bytes)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;

        var response = await portal.Anonymous().SendAsync(request);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task A_refused_record_in_an_array_rolls_back_the_whole_request()
    {
        var listener = await portal.CreateListenerAsync();

        var response = await SendAsync(HttpMethod.Post, listener, Wrap($"[{Order(1)},{Order(2)},{{\"id\":\"three\"}}]"));

        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task A_disabled_listener_answers_403_and_stores_nothing()
    {
        var listener = await portal.CreateListenerAsync();
        var admin = portal.AdminJson();
        await (await admin.PutAsync($"/api/listeners/{listener.Id}", Body(new { name = listener.Name, enabled = false, auth = new { method = "None" } }))).ReadJsonAsync(HttpStatusCode.OK);

        var response = await SendAsync(HttpMethod.Post, listener, Wrap(Order(1)));

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task Unknown_listener_or_wrong_integration_is_404()
    {
        var listener = await portal.CreateListenerAsync();
        var logged = (await portal.LogsAsync("pageSize=1")).GetProperty("total").GetInt32();
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, $"/hooks/{listener.IntegrationId}/{Guid.NewGuid()}", "{}"))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, $"/hooks/{Guid.NewGuid()}/{listener.Id}", "{}"))).AssertProblemAsync(HttpStatusCode.NotFound);

        // Guessing URLs fills no log (the README says so).
        Assert.Equal(logged, (await portal.LogsAsync("pageSize=1")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Three_hundred_concurrent_posts_are_all_stored()
    {
        var listener = await portal.CreateListenerAsync();
        var client = portal.Anonymous();

        var responses = await Task.WhenAll(Enumerable.Range(1, 300).Select(i => client.SendAsync(Json(HttpMethod.Post, listener.HookPath, Wrap(Order(i, "R" + i, "c" + i))))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var records = await portal.RecordsAsync(listener.Id, pageSize: 500);
        Assert.Equal(300, records.GetProperty("total").GetInt64());
        Assert.Equal(300, records.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).Distinct().Count());
        Assert.All(records.GetProperty("items").EnumerateArray(), r => Assert.Equal(1, r.GetProperty("comments").GetArrayLength()));
        Assert.Equal(300, (await portal.LogsAsync($"sourceId={listener.Id}&state=success&pageSize=1")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Every_refusal_by_a_real_listener_is_logged_as_an_error_with_its_status()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Webhook-Token" });
        HttpRequestMessage Request(HttpMethod method, string body, string? token, string? path = null)
        {
            var request = Json(method, path ?? listener.HookPath, body);
            if (token is not null)
            {
                request.Headers.Add("X-Webhook-Token", token);
            }

            return request;
        }

        var client = portal.Anonymous();
        await (await client.SendAsync(Request(HttpMethod.Post, Wrap(Order(1)), null))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.SendAsync(Request(HttpMethod.Post, Wrap(Order(1)), "wrong"))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.SendAsync(Request(HttpMethod.Patch, Wrap("""{"id":404,"name":"ghost"}"""), listener.Token))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.SendAsync(Request(HttpMethod.Delete, "{}", listener.Token, listener.HookPath + "/404"))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.SendAsync(Request(HttpMethod.Post, Wrap($$"""{"id":1,"name":"{{new string('x', 70_000)}}"}"""), listener.Token))).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await portal.AdminJson().PutAsync($"/api/listeners/{listener.Id}", Body(new { name = listener.Name, enabled = false, auth = new { method = "Token", readFrom = "Header", name = "X-Webhook-Token" } }))).ReadJsonAsync(HttpStatusCode.OK);
        await (await client.SendAsync(Request(HttpMethod.Post, Wrap(Order(1)), listener.Token))).AssertProblemAsync(HttpStatusCode.Forbidden);

        var errors = (await portal.LogsAsync($"sourceId={listener.Id}&state=error")).GetProperty("items").EnumerateArray()
            .Select(e => e.GetProperty("status").GetInt32()).Order().ToArray();
        Assert.Equal([401, 401, 403, 404, 404, 413], errors);
        Assert.Equal(0, (await portal.LogsAsync($"sourceId={listener.Id}&state=success")).GetProperty("total").GetInt32());
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task Concurrent_upserts_of_one_key_leave_one_record_with_the_children_of_exactly_one_request()
    {
        var listener = await portal.CreateListenerAsync();
        var client = portal.Anonymous();

        // Request r sends r + 1 comments, all tagged with r: a torn write would mix tags or counts.
        string Upsert(int r) => JsonSerializer.Serialize(new
        {
            data = new { items = new[] { new { id = 1, name = "writer " + r, comments = Enumerable.Range(0, r + 1).Select(c => new { text = $"r{r}-c{c}" }).ToArray() } } },
        });
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(r => client.SendAsync(Json(r % 2 == 0 ? HttpMethod.Post : HttpMethod.Put, listener.HookPath, Upsert(r)))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var records = await portal.RecordsAsync(listener.Id);
        var record = Assert.Single(records.GetProperty("items").EnumerateArray());
        var writer = int.Parse(record.GetProperty("name").GetString()!["writer ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var comments = record.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToArray();
        Assert.Equal(Enumerable.Range(0, writer + 1).Select(c => $"r{writer}-c{c}").ToArray(), comments);
    }

    private static StringContent Body(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
