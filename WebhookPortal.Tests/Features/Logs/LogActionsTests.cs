using System.Net;
using System.Net.Http.Json;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Logs;

public sealed class LogActionsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Replaying_a_logged_post_stores_the_record_again_as_a_new_logged_request()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Token" });
        var request = Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":5,"name":"replayed"}}}""");
        request.Headers.Add("X-Token", listener.Token);
        await (await portal.Anonymous().SendAsync(request)).ReadJsonAsync(HttpStatusCode.OK);
        var original = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items")[0].GetProperty("id").GetInt64();
        await (await portal.Anonymous().SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Delete, listener.HookPath + "/5"), listener.Token!))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));

        var replay = await (await portal.AsAdmin().PostAsync($"/api/logs/{original}/replay", null)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(200, replay.GetProperty("status").GetInt32());
        Assert.Equal(1, replay.GetProperty("result").GetProperty("inserted").GetInt32());
        Assert.Equal("replayed", (await portal.RecordsAsync(listener.Id)).GetProperty("items")[0].GetProperty("name").GetString());
        var logs = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items");
        Assert.Equal(3, logs.GetArrayLength());
        var newest = await (await portal.AsAdmin().GetAsync($"/api/logs/{logs[0].GetProperty("id").GetInt64()}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(original.ToString(System.Globalization.CultureInfo.InvariantCulture), newest.GetProperty("requestHeaders").GetProperty("X-Portal-Replay-Of").GetString());
    }

    [Fact]
    public async Task Replay_is_refused_for_a_disabled_listener_and_redeliver_for_inbound_entries()
    {
        var listener = await portal.CreateListenerAsync();
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var id = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items")[0].GetProperty("id").GetInt64();

        await (await portal.AsAdmin().PostAsync($"/api/logs/{id}/redeliver", null)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await portal.Anonymous().PostAsync($"/api/logs/{id}/replay", null)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { name = listener.Name, enabled = false })).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.AsAdmin().PostAsync($"/api/logs/{id}/replay", null)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await portal.AsAdmin().PostAsync("/api/logs/999999/replay", null)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Names_lists_the_sources_seen_in_the_log()
    {
        var listener = await portal.CreateListenerAsync(name: "Named-" + Guid.NewGuid().ToString("N")[..6]);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var names = await (await portal.AsAdmin().GetAsync("/api/logs/names")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(names.EnumerateArray(), n => n.GetString() == listener.Name);
    }

    private static HttpRequestMessage WithToken(HttpRequestMessage request, string token)
    {
        request.Headers.Add("X-Token", token);
        return request;
    }
}
