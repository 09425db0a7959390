using System.Net;
using System.Net.Http.Json;
using System.Text;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>Rotating a listener's token keeps the previous one accepted for an overlap, until it ends or is expired.</summary>
public sealed class ListenerTokenRotationTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<HttpStatusCode> PushAsync(TestListener listener, string token)
    {
        var request = Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1}]}}""");
        request.Headers.Add("X-Token", token);
        return (await portal.Anonymous().SendAsync(request)).StatusCode;
    }

    private Task<TestListener> CreateAsync() => portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Token" });

    [Fact]
    public async Task The_previous_token_works_until_the_overlap_ends()
    {
        var listener = await CreateAsync();

        var rotated = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/token", new { overlap = "01:00:00" })).ReadJsonAsync(HttpStatusCode.OK);
        var fresh = rotated.GetProperty("token").GetString()!;
        Assert.Equal(portal.Clock.GetUtcNow().UtcDateTime.AddHours(1), rotated.GetProperty("previousTokenExpires").GetDateTime());
        var view = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, view.GetProperty("auth").GetProperty("previousTokenExpires").ValueKind);

        Assert.Equal(HttpStatusCode.OK, await PushAsync(listener, listener.Token!));
        Assert.Equal(HttpStatusCode.OK, await PushAsync(listener, fresh));

        portal.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.Unauthorized, await PushAsync(listener, listener.Token!));
        Assert.Equal(HttpStatusCode.OK, await PushAsync(listener, fresh));
    }

    [Fact]
    public async Task Expire_now_and_a_zero_overlap_refuse_the_previous_token_at_once()
    {
        var listener = await CreateAsync();
        var fresh = (await (await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/token", null)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, await PushAsync(listener, listener.Token!));

        var expired = await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/token/expire-previous", null);

        Assert.Equal(HttpStatusCode.NoContent, expired.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await PushAsync(listener, listener.Token!));
        Assert.Equal(HttpStatusCode.OK, await PushAsync(listener, fresh));

        var none = await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener.Id}/token", new { overlap = "00:00:00" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, none.GetProperty("previousTokenExpires").ValueKind);
        Assert.Equal(HttpStatusCode.Unauthorized, await PushAsync(listener, fresh));
        Assert.Equal(HttpStatusCode.OK, await PushAsync(listener, none.GetProperty("token").GetString()!));
    }

    [Theory]
    [InlineData("""{"overlap":"later"}""")]
    [InlineData("""{"overlap":"-00:00:01"}""")]
    [InlineData("""{"overlap":"40.00:00:00"}""")]
    public async Task A_bad_overlap_is_refused_and_the_token_stays(string body)
    {
        var listener = await CreateAsync();

        var problem = await (await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/token", new StringContent(body, Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("overlap", out _));
        Assert.Equal(HttpStatusCode.OK, await PushAsync(listener, listener.Token!));
    }

    [Fact]
    public async Task Only_admins_expire_the_previous_token()
    {
        var listener = await CreateAsync();
        await (await portal.AsAdmin().PostAsync($"/api/listeners/{listener.Id}/token", null)).ReadJsonAsync(HttpStatusCode.OK);
        var support = await portal.AsSupportAsync();

        await (await support.PostAsync($"/api/listeners/{listener.Id}/token/expire-previous", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().PostAsync($"/api/listeners/{listener.Id}/token/expire-previous", null)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(WebhookPortal.Infrastructure.Auth.PortalRoles.Subscriber, integrationIds: listener.IntegrationId));
        await (await subscriber.PostAsync($"/api/listeners/{listener.Id}/token/expire-previous", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.AsAdmin().PostAsync($"/api/listeners/{Guid.NewGuid()}/token/expire-previous", null)).AssertProblemAsync(HttpStatusCode.NotFound);

        // Still inside the overlap: the original token works.
        Assert.Equal(HttpStatusCode.OK, await PushAsync(listener, listener.Token!));
    }
}
