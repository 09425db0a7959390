using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Replays;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>
/// <c>POST /api/listeners/{id}/replay</c>: a listener's failed requests in a time range run again as a job, each
/// logged as a new entry linked to its original; the job's progress lives in the database and survives a lost job.
/// </summary>
public sealed class BulkReplayTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static string Order(int id) => $$$"""{"data":{"items":[{"id":{{{id}}},"name":"n{{{id}}}"}]}}""";

    /// <summary>A token listener whose first requests fail (no tables yet, 409); then its tables exist.</summary>
    private async Task<(TestListener Listener, long[] FailedIds)> ListenerWithFailedRequestsAsync(int failed)
    {
        var admin = portal.AsAdmin();
        var integrationId = await portal.CreateIntegrationAsync();
        var created = await (await admin.PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name = "Replay-" + Guid.NewGuid().ToString("N")[..8], auth = new { method = "Token", readFrom = "Header", name = "X-Token" } }))
            .ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        var token = (await (await admin.PostAsync($"/api/listeners/{id}/token", null)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        var listener = new TestListener(integrationId, id, created.GetProperty("name").GetString()!, $"/hooks/{integrationId}/{id}", token);

        for (var i = 1; i <= failed; i++)
        {
            var request = Json(HttpMethod.Post, listener.HookPath, Order(i));
            request.Headers.Add("X-Token", token);
            Assert.Equal(HttpStatusCode.Conflict, (await portal.Anonymous().SendAsync(request)).StatusCode);
        }

        // Refused before authentication: never replayed.
        Assert.Equal(HttpStatusCode.Unauthorized, (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Order(99)))).StatusCode);

        await (await admin.PostAsJsonAsync($"/api/listeners/{id}/tables", new { sample = Order(1), baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" } })).ReadJsonAsync(HttpStatusCode.OK);
        var logs = await portal.LogsAsync($"sourceId={id}&pageSize=50&state=error");
        var failedIds = logs.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("status").GetInt32() == 409).Select(e => e.GetProperty("id").GetInt64()).Order().ToArray();
        return (listener, failedIds);
    }

    private object LastHour() => new { from = portal.Clock.GetUtcNow().UtcDateTime.AddHours(-1), to = portal.Clock.GetUtcNow().UtcDateTime.AddMinutes(1), state = "error" };

    private async Task<JsonElement> WaitFinishedAsync(Guid listenerId, Guid replayId) =>
        await Eventually.ValueAsync(
            async () => await (await portal.AsAdmin().GetAsync($"/api/listeners/{listenerId}/replays/{replayId}")).ReadJsonAsync(HttpStatusCode.OK),
            r => r.GetProperty("status").GetString() is "Completed" or "Failed",
            "the bulk replay to finish",
            // A Hangfire job: on a loaded CI machine it can wait behind the workers' other jobs (once it took over 20 s).
            TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Failed_requests_in_the_range_are_replayed_as_new_entries_linked_to_their_originals()
    {
        var (listener, failedIds) = await ListenerWithFailedRequestsAsync(3);

        var response = await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", LastHour());
        var started = await response.ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(3, started.GetProperty("count").GetInt32());
        Assert.Equal(1, started.GetProperty("skipped").GetInt32());
        var replayId = started.GetProperty("id").GetGuid();
        Assert.Equal($"/api/listeners/{listener.Id}/replays/{replayId}", response.Headers.Location?.OriginalString);
        var finished = await WaitFinishedAsync(listener.Id, replayId);
        Assert.Equal("Completed", finished.GetProperty("status").GetString());
        Assert.Equal(3, finished.GetProperty("processed").GetInt32());
        Assert.Equal(3, finished.GetProperty("succeeded").GetInt32());
        Assert.Equal(0, finished.GetProperty("failed").GetInt32());
        Assert.Equal(3, await portal.RecordCountAsync(listener.Id));

        var entries = (await portal.LogsAsync($"sourceId={listener.Id}&pageSize=50")).GetProperty("items").EnumerateArray().ToArray();
        var replays = entries.Where(e => e.GetProperty("replayOfId").ValueKind == JsonValueKind.Number).ToArray();
        Assert.Equal(failedIds, replays.Select(e => e.GetProperty("replayOfId").GetInt64()).Order().ToArray());
        Assert.All(replays, e => Assert.Equal(200, e.GetProperty("status").GetInt32()));

        // A second run finds the same failed originals again (they stay failed), but the list shows both runs.
        var list = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/replays")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(replayId, list[0].GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task A_replay_whose_job_was_lost_is_resumed_by_the_sweep_where_it_stopped()
    {
        var (listener, failedIds) = await ListenerWithFailedRequestsAsync(3);
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var replayId = Guid.NewGuid();
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            // As a portal that replayed the first entry and then stopped would have left it.
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            db.BulkReplays.Add(new BulkReplay
            {
                Id = replayId, ListenerId = listener.Id, FromUtc = now.AddHours(-1), ToUtc = now.AddMinutes(1), State = "error",
                Status = BulkReplayStatus.Running, Total = 3, Processed = 1, Succeeded = 1, LastEntryId = failedIds[0],
                MaxEntryId = failedIds[^1] + 1, RequestedBy = "admin", CreatedUtc = now.AddMinutes(-5), UpdatedUtc = now.AddMinutes(-3),
            });
            await db.SaveChangesAsync();
            await scope.ServiceProvider.GetRequiredService<BulkReplays>().SweepAsync(CancellationToken.None);
        }

        var finished = await WaitFinishedAsync(listener.Id, replayId);

        Assert.Equal(3, finished.GetProperty("processed").GetInt32());
        Assert.Equal(3, finished.GetProperty("succeeded").GetInt32());
        var replayed = (await portal.LogsAsync($"sourceId={listener.Id}&pageSize=50")).GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("replayOfId").ValueKind == JsonValueKind.Number).Select(e => e.GetProperty("replayOfId").GetInt64()).Order().ToArray();
        Assert.Equal(failedIds[1..], replayed);
    }

    [Fact]
    public async Task A_live_replay_is_not_taken_over_by_the_sweep()
    {
        var (listener, failedIds) = await ListenerWithFailedRequestsAsync(1);
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var replay = new BulkReplay
        {
            Id = Guid.NewGuid(), ListenerId = listener.Id, FromUtc = now.AddHours(-1), ToUtc = now, State = "error", Status = BulkReplayStatus.Running, Total = 1,
            MaxEntryId = failedIds[^1], RequestedBy = "admin", CreatedUtc = now, UpdatedUtc = now,
        };
        db.BulkReplays.Add(replay);
        await db.SaveChangesAsync();

        await scope.ServiceProvider.GetRequiredService<BulkReplays>().RunAsync(replay.Id, CancellationToken.None);

        var row = await db.BulkReplays.AsNoTracking().SingleAsync(r => r.Id == replay.Id);
        Assert.Equal(BulkReplayStatus.Running, row.Status);
        Assert.Equal(0, row.Processed);
        Assert.Equal(0, await portal.RecordCountAsync(listener.Id));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"to":"2026-11-23T12:00:00Z"}""", "from" },
        { """{"from":"2026-11-23T12:00:00Z","to":"2026-11-23T11:00:00Z"}""", "to" },
        { """{"from":"2026-11-23T11:00:00Z","state":"broken"}""", "state" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_is_refused_and_starts_nothing(string body, string field)
    {
        var (listener, _) = await ListenerWithFailedRequestsAsync(1);

        var problem = await (await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/replay", new StringContent(body, Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        var list = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/replays")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, list.GetArrayLength());
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{Guid.NewGuid()}/replay", LastHour())).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/replays/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Admin_and_support_replay_subscribers_and_strangers_do_not()
    {
        var (listener, _) = await ListenerWithFailedRequestsAsync(1);
        var support = await portal.AsSupportAsync();
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: listener.IntegrationId));

        await (await subscriber.PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", LastHour())).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", LastHour())).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await subscriber.GetAsync($"/api/listeners/{listener.Id}/replays")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().GetAsync($"/api/listeners/{listener.Id}/replays")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(0, (await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/replays")).ReadJsonAsync(HttpStatusCode.OK)).GetArrayLength());

        var bySupport = await (await support.PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", LastHour())).ReadJsonAsync(HttpStatusCode.Accepted);
        var finished = await WaitFinishedAsync(listener.Id, bySupport.GetProperty("id").GetGuid());
        Assert.Equal(PortalFactory.SupportEmail, finished.GetProperty("requestedBy").GetString());
        var bySupportRead = await (await support.GetAsync($"/api/listeners/{listener.Id}/replays/{bySupport.GetProperty("id").GetGuid()}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Completed", bySupportRead.GetProperty("status").GetString());

        var byAdmin = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", LastHour())).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(1, byAdmin.GetProperty("count").GetInt32());
        var subscriberRead = await subscriber.GetAsync($"/api/listeners/{listener.Id}/replays/{byAdmin.GetProperty("id").GetGuid()}");
        await subscriberRead.AssertProblemAsync(HttpStatusCode.Forbidden);
        await WaitFinishedAsync(listener.Id, byAdmin.GetProperty("id").GetGuid());
    }

    /// <summary>An open listener without tables yet: what it receives fails with 409 until they exist.</summary>
    private async Task<TestListener> ListenerWithoutTablesAsync()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var created = await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name = "Range-" + Guid.NewGuid().ToString("N")[..8], auth = new { method = "None" } }))
            .ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        return new TestListener(integrationId, id, created.GetProperty("name").GetString()!, $"/hooks/{integrationId}/{id}", null);
    }

    private async Task<long> PushAsync(TestListener listener, int id, HttpStatusCode expected)
    {
        Assert.Equal(expected, (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, Order(id)))).StatusCode);
        var newest = (await portal.LogsAsync($"sourceId={listener.Id}&pageSize=1")).GetProperty("items")[0];
        Assert.Contains($"\"id\":{id}", (await (await portal.AsAdmin().GetAsync($"/api/logs/{newest.GetProperty("id").GetInt64()}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("requestBody").GetString());
        return newest.GetProperty("id").GetInt64();
    }

    private async Task<long[]> ReplayedOriginalsAsync(TestListener listener) =>
        (await portal.LogsAsync($"sourceId={listener.Id}&pageSize=100")).GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("replayOfId").ValueKind == JsonValueKind.Number).Select(e => e.GetProperty("replayOfId").GetInt64()).Order().ToArray();

    private async Task<JsonElement> StartAsync(TestListener listener, DateTime from, DateTime to, string state)
    {
        var started = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", new { from, to, state })).ReadJsonAsync(HttpStatusCode.Accepted);
        var finished = await WaitFinishedAsync(listener.Id, started.GetProperty("id").GetGuid());
        Assert.Equal("Completed", finished.GetProperty("status").GetString());
        Assert.Equal(started.GetProperty("count").GetInt32(), finished.GetProperty("processed").GetInt32());
        return started;
    }

    [Fact]
    public async Task Only_entries_inside_the_range_and_of_the_chosen_state_are_replayed()
    {
        var listener = await ListenerWithoutTablesAsync();
        var t0 = portal.Clock.GetUtcNow().UtcDateTime;
        var early = await PushAsync(listener, 1, HttpStatusCode.Conflict);

        portal.Clock.Advance(TimeSpan.FromHours(2));
        var t1 = portal.Clock.GetUtcNow().UtcDateTime;
        var late = new[] { await PushAsync(listener, 2, HttpStatusCode.Conflict), await PushAsync(listener, 3, HttpStatusCode.Conflict) };
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/tables", new { sample = Order(1), baseName = "orders", rootPath = "data.items", primaryKey = new[] { "id" } })).ReadJsonAsync(HttpStatusCode.OK);
        var succeeded = await PushAsync(listener, 4, HttpStatusCode.OK);
        // Replays are logged a minute later, after the ranges below end: they are never replayed again here.
        portal.Clock.Advance(TimeSpan.FromMinutes(1));

        // "error" from t1 on: the two late failures; not the early one (before from), not the success.
        var errors = await StartAsync(listener, t1.AddMinutes(-30), t1.AddSeconds(30), "error");
        Assert.Equal(2, errors.GetProperty("count").GetInt32());
        Assert.Equal(0, errors.GetProperty("skipped").GetInt32());
        Assert.Equal(late.Order().ToArray(), await ReplayedOriginalsAsync(listener));
        var stored = (await portal.RecordsAsync(listener.Id)).GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).Order().ToArray();
        Assert.Equal(new[] { 2L, 3L, 4L }, stored);

        // A range that ends before the early failure finds nothing: 202 with 0, completed at once.
        var none = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", new { from = t0.AddHours(-2), to = t0.AddSeconds(-1), state = "error" })).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(0, none.GetProperty("count").GetInt32());
        Assert.Equal("Completed", none.GetProperty("status").GetString());

        // "success" in the same range: only the original success (the replays' own entries are outside it).
        var successes = await StartAsync(listener, t1.AddMinutes(-30), t1.AddSeconds(30), "success");
        Assert.Equal(1, successes.GetProperty("count").GetInt32());
        Assert.Equal(late.Append(succeeded).Order().ToArray(), await ReplayedOriginalsAsync(listener));

        // "all" over both times: the four originals, the early failure among them (and now it succeeds).
        var all = await StartAsync(listener, t0.AddMinutes(-1), t1.AddSeconds(30), "all");
        Assert.Equal(4, all.GetProperty("count").GetInt32());
        var replayedOriginals = await ReplayedOriginalsAsync(listener);
        Assert.Equal(new[] { early, late[0], late[0], late[1], late[1], succeeded, succeeded }.Order().ToArray(), replayedOriginals);
        Assert.Equal(4, await portal.RecordCountAsync(listener.Id));
    }

    [Fact]
    public async Task A_disabled_listener_answers_409_and_starts_nothing()
    {
        var (listener, _) = await ListenerWithFailedRequestsAsync(1);
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { enabled = false })).ReadJsonAsync(HttpStatusCode.OK);

        var problem = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/replay", LastHour())).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Contains("disabled", problem.GetProperty("detail").GetString());
        Assert.Equal(0, (await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/replays")).ReadJsonAsync(HttpStatusCode.OK)).GetArrayLength());
        Assert.Empty(await ReplayedOriginalsAsync(listener));
    }

    [Theory]
    [InlineData("application/json", "from=yesterday")]
    [InlineData("application/json", """{"from":"2026-11-23T11:00:00Z",""")]
    [InlineData("application/json", """{"from":"not a time"}""")]
    [InlineData("application/x-www-form-urlencoded", "from=2026-11-23T11:00:00Z&state=error")]
    public async Task A_body_that_is_not_json_is_refused_and_starts_nothing(string contentType, string body)
    {
        var (listener, _) = await ListenerWithFailedRequestsAsync(1);

        var response = await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/replay", new StringContent(body, Encoding.UTF8, contentType));

        if (contentType == "application/json")
        {
            await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        }
        else
        {
            // A form where JSON is expected: the content type itself is refused.
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }

        Assert.Equal(0, (await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/replays")).ReadJsonAsync(HttpStatusCode.OK)).GetArrayLength());
        Assert.Empty(await ReplayedOriginalsAsync(listener));
    }
}
