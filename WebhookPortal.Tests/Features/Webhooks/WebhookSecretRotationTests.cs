using System.Net;
using System.Net.Http.Json;
using System.Text;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>Rotating a signing secret keeps the previous one signing beside the new one for an overlap, until it ends or is expired.</summary>
public sealed class WebhookSecretRotationTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private async Task<string> SecretAsync(Guid webhookId) =>
        (await (await portal.AsAdmin().GetAsync($"/api/webhooks/{webhookId}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString()!;

    private static bool Verifies(string secret, ReceivedRequest request) =>
        Signer.Verify(secret, request.Headers["webhook-id"], long.Parse(request.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture), request.Body, request.Headers["webhook-signature"]);

    private async Task<ReceivedRequest> DeliverOneAsync(LoopbackReceiver receiver, TestWebhook webhook, int expected)
    {
        await portal.PublishAsync(webhook.IntegrationId);
        return (await receiver.WaitForAsync(expected))[expected - 1];
    }

    [Fact]
    public async Task During_the_overlap_both_secrets_sign_and_expire_now_ends_it()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());
        var old = await SecretAsync(webhook.Id);

        var rotated = await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/secret/rotate", new { overlap = "02:00:00" })).ReadJsonAsync(HttpStatusCode.OK);
        var fresh = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(old, fresh);
        Assert.InRange(rotated.GetProperty("previousSecretExpires").GetDateTime(), DateTime.UtcNow.AddMinutes(119), DateTime.UtcNow.AddMinutes(121));
        var view = await (await portal.AsAdmin().GetAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, view.GetProperty("previousSecretExpires").ValueKind);

        var during = await DeliverOneAsync(receiver, webhook, 1);
        Assert.Equal(2, during.Headers["webhook-signature"].Split(' ').Length);
        Assert.True(Verifies(fresh, during));
        Assert.True(Verifies(old, during));

        var expired = await portal.AsAdmin().PostAsync($"/api/webhooks/{webhook.Id}/secret/expire-previous", null);
        Assert.Equal(HttpStatusCode.NoContent, expired.StatusCode);

        var after = await DeliverOneAsync(receiver, webhook, 2);
        Assert.Single(after.Headers["webhook-signature"].Split(' '));
        Assert.True(Verifies(fresh, after));
        Assert.False(Verifies(old, after));
    }

    [Fact]
    public async Task The_default_overlap_is_a_day_and_a_zero_overlap_switches_at_once()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var webhook = await portal.CreateWebhookAsync(receiver.Url());

        var byDefault = await (await portal.AsAdmin().PostAsync($"/api/webhooks/{webhook.Id}/secret/rotate", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.InRange(byDefault.GetProperty("previousSecretExpires").GetDateTime(), DateTime.UtcNow.AddHours(23.9), DateTime.UtcNow.AddHours(24.1));

        var old = await SecretAsync(webhook.Id);
        var none = await (await portal.AsAdmin().PostAsJsonAsync($"/api/webhooks/{webhook.Id}/secret/rotate", new { overlap = "00:00:00" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, none.GetProperty("previousSecretExpires").ValueKind);

        var request = await DeliverOneAsync(receiver, webhook, 1);
        Assert.Single(request.Headers["webhook-signature"].Split(' '));
        Assert.True(Verifies(none.GetProperty("secret").GetString()!, request));
        Assert.False(Verifies(old, request));
    }

    [Theory]
    [InlineData("""{"overlap":"soon"}""")]
    [InlineData("""{"overlap":"-01:00:00"}""")]
    [InlineData("""{"overlap":"31.00:00:00"}""")]
    public async Task A_bad_overlap_is_refused_and_the_secret_stays(string body)
    {
        var webhook = await portal.CreateWebhookAsync("https://hooks.example.com/x");
        var before = await SecretAsync(webhook.Id);

        var problem = await (await portal.AsAdmin().PostAsync($"/api/webhooks/{webhook.Id}/secret/rotate", new StringContent(body, Encoding.UTF8, "application/json"))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("overlap", out _));
        Assert.Equal(before, await SecretAsync(webhook.Id));
    }

    [Fact]
    public async Task Only_admins_rotate_or_expire()
    {
        var webhook = await portal.CreateWebhookAsync("https://hooks.example.com/x");
        var before = await SecretAsync(webhook.Id);
        var support = await portal.AsSupportAsync();

        await (await support.PostAsync($"/api/webhooks/{webhook.Id}/secret/rotate", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsync($"/api/webhooks/{webhook.Id}/secret/expire-previous", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().PostAsync($"/api/webhooks/{webhook.Id}/secret/expire-previous", null)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(WebhookPortal.Infrastructure.Auth.PortalRoles.Subscriber, integrationIds: webhook.IntegrationId));
        await (await subscriber.PostAsync($"/api/webhooks/{webhook.Id}/secret/rotate", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await subscriber.PostAsync($"/api/webhooks/{webhook.Id}/secret/expire-previous", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.AsAdmin().PostAsync($"/api/webhooks/{Guid.NewGuid()}/secret/expire-previous", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(before, await SecretAsync(webhook.Id));
    }
}
