using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

public sealed class ListenerScriptTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task SetScriptAsync(TestListener listener, string? script) =>
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { name = listener.Name, enabled = true, script })).ReadJsonAsync(HttpStatusCode.OK);

    [Fact]
    public async Task A_script_transforms_the_body_before_it_is_stored()
    {
        var listener = await portal.CreateListenerAsync();
        await SetScriptAsync(listener, "(body, request) => ({ data: { items: body.data.items.map(i => ({ ...i, name: (i.name || '').toUpperCase() + '/' + request.method })) } })");

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1,"name":"quiet"}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("QUIET/POST", (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_script_returning_a_function_is_refused_with_422_not_a_server_error()
    {
        var listener = await portal.CreateListenerAsync();
        await SetScriptAsync(listener, "(body) => () => body");

        var problem = await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1}]}}"""))).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.Contains("must return JSON data", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task The_script_never_sees_the_token_read_from_the_query()
    {
        var auth = new { method = "Token", readFrom = "Query", name = "token" };
        var listener = await portal.CreateListenerAsync(auth: auth);
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new
        {
            name = listener.Name, enabled = true, auth,
            script = "(body, request) => ({ data: { items: body.data.items.map(i => ({ ...i, name: request.query.Token + '|' + request.query.keep })) } })",
        })).ReadJsonAsync(HttpStatusCode.OK);

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath + "?Token=" + listener.Token + "&keep=yes", """{"data":{"items":[{"id":1}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("[redacted]|yes", (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_throwing_script_rejects_with_422_and_its_message_and_stores_nothing()
    {
        var listener = await portal.CreateListenerAsync();
        await SetScriptAsync(listener, "(body) => { if (!body.data.items[0].name) throw new Error('name is required by policy'); return body; }");

        var problem = await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1}]}}"""))).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.Equal("name is required by policy", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
        var logged = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items")[0];
        Assert.Equal("error", logged.GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_endless_loop_answers_422_quickly_and_the_portal_stays_healthy()
    {
        var listener = await portal.CreateListenerAsync();
        await SetScriptAsync(listener, "(body) => { while (true) {} }");
        var watch = Stopwatch.StartNew();

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1}]}}"""))).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, (await portal.Anonymous().GetAsync("/healthz")).StatusCode);
        await SetScriptAsync(listener, null);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_script_cannot_read_files()
    {
        var listener = await portal.CreateListenerAsync();
        await SetScriptAsync(listener, "(body) => ({ data: { items: [{ id: 1, name: System.IO.File.ReadAllText('/etc/passwd') }] } })");

        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1}]}}"""))).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task A_script_that_does_not_parse_is_refused_with_its_line_and_not_saved()
    {
        var listener = await portal.CreateListenerAsync();
        var problem = await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { name = listener.Name, script = "(body) => {\n  return body +;\n}" })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("line 2", problem.GetProperty("detail").GetString());
        var view = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, view.GetProperty("script").ValueKind);
    }

    [Fact]
    public async Task The_test_endpoint_runs_the_script_on_a_sample_or_explains_the_error()
    {
        var listener = await portal.CreateListenerAsync();
        await SetScriptAsync(listener, "(body, request) => ({ ...body, seenBy: request.headers['X-Sor'] })");

        var ok = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/script/test", new { body = new { id = 1 }, method = "PUT", headers = new Dictionary<string, string> { ["X-Sor"] = "crm" } }))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("crm", ok.GetProperty("result").GetProperty("seenBy").GetString());

        var failing = await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/script/test", new { body = new { id = 1 }, script = "(b) => { throw new Error('nope'); }" });
        Assert.Contains("nope", (await failing.AssertProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("detail").GetString());
        await (await (await portal.AsSupportAsync()).PostAsJsonAsync($"/api/listeners/{listener.Id}/script/test", new { body = new { id = 1 } })).AssertProblemAsync(HttpStatusCode.Forbidden);
    }
}
