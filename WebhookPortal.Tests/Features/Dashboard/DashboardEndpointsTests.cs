using System.Net;
using System.Net.Http.Json;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Dashboard;

/// <summary>GET /api/dashboard: the home page's figures for scripts; Admin and Support read it, nobody else.</summary>
public sealed class DashboardEndpointsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Admin_reads_the_figures_of_a_range_with_a_request_just_received()
    {
        var listener = await portal.CreateListenerAsync();
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":"not a number"}}}"""))).ReadJsonAsync(HttpStatusCode.UnprocessableEntity);

        var body = await (await portal.AsAdmin().GetAsync("/api/dashboard?range=1h")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("1h", body.GetProperty("range").GetString());
        Assert.Equal(5, body.GetProperty("bucketMinutes").GetInt32());
        Assert.Equal(12, body.GetProperty("buckets").GetArrayLength());
        var row = body.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("name").GetString() == listener.Name);
        Assert.Equal(1, row.GetProperty("traffic").GetProperty("totalSuccess").GetInt64());
        Assert.Equal(1, row.GetProperty("traffic").GetProperty("totalError").GetInt64());
        Assert.True(body.GetProperty("backlog").TryGetProperty("due", out _));
        Assert.Equal(JsonValueKindArray, body.GetProperty("failingWebhooks").ValueKind);
        var error = body.GetProperty("recentErrors").EnumerateArray().First(e => e.GetProperty("name").GetString() == listener.Name);
        Assert.Equal("inbound", error.GetProperty("direction").GetString());
        Assert.Equal(422, error.GetProperty("status").GetInt32());
    }

    private const System.Text.Json.JsonValueKind JsonValueKindArray = System.Text.Json.JsonValueKind.Array;

    [Fact]
    public async Task Without_a_range_it_is_the_last_24_hours()
    {
        var body = await (await portal.AsAdmin().GetAsync("/api/dashboard")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("24h", body.GetProperty("range").GetString());
        Assert.Equal(24, body.GetProperty("buckets").GetArrayLength());
        Assert.Equal(28, (await (await portal.AsAdmin().GetAsync("/api/dashboard?range=7D")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("buckets").GetArrayLength());
    }

    [Fact]
    public async Task Support_reads_it()
    {
        var support = await portal.AsSupportAsync();
        await (await support.GetAsync("/api/dashboard?range=24h")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_support_api_key_reads_it_and_a_subscriber_key_is_forbidden()
    {
        await (await portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Support)).GetAsync("/api/dashboard")).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber)).GetAsync("/api/dashboard")).AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Anonymous_callers_get_401()
    {
        await (await portal.Anonymous().GetAsync("/api/dashboard?range=24h")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("2h")]
    [InlineData("all")]
    [InlineData("")]
    public async Task A_bad_range_is_a_400_problem_naming_the_field(string range)
    {
        var problem = await (await portal.AsAdmin().GetAsync($"/api/dashboard?range={Uri.EscapeDataString(range)}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("range", out var messages), problem.ToString());
        Assert.Contains("1h, 24h, 7d", messages[0].GetString());
    }
}
