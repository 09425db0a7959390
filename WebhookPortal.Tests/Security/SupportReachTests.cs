using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: Support inside the app, through the side doors a review found — replaying a request the
/// listener refused, a backup file, secrets inside URLs, and another user's download link.
/// </summary>
public sealed class SupportReachTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    // A URL with a password in its user-info and a key in its query: what an admin may paste, and Support must not read.
    private const string SecretUrl = "https://bob:hunter2@crm.example.invalid/in?api_key=k3y-s3cr3t&region=eu";
    private const string SafeUrl = "https://crm.example.invalid/in?api_key=[redacted]&region=eu";

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static ClaimsPrincipal Principal(string userId, string role) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, userId), new Claim(ClaimTypes.Name, userId + "@test.local"), new Claim(ClaimTypes.Role, role)], "Test"));

    private async Task<Job> WaitForJobAsync(Guid id)
    {
        return await Eventually.ValueAsync(
            () => portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id)),
            job => job.Status is JobStatus.Succeeded or JobStatus.Failed,
            "the job to finish",
            TimeSpan.FromSeconds(30));
    }

    private static string? PostUrl(JsonElement webhook) =>
        webhook.EnumerateObject().Single(p => p.Name.Equals("postUrl", StringComparison.OrdinalIgnoreCase)).Value.GetString();

    private static void AssertNoSecret(string text)
    {
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("k3y-s3cr3t", text, StringComparison.Ordinal);
        Assert.DoesNotContain("bob:", text, StringComparison.Ordinal);
    }

    // ---- 1. Replay runs only requests the listener accepted as authenticated ----

    [Fact]
    public async Task A_strangers_refused_delete_cannot_be_replayed_by_support_or_admin_and_the_record_stays()
    {
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Token" });
        var post = Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":42,"name":"keep me"}}}""");
        post.Headers.Add("X-Token", listener.Token);
        await (await portal.Anonymous().SendAsync(post)).ReadJsonAsync(HttpStatusCode.OK);

        // The stranger: no token, a DELETE of record 42 — refused, but logged with its path.
        await (await portal.Anonymous().DeleteAsync($"{listener.HookPath}/42")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var refused = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items").EnumerateArray().First(e => e.GetProperty("status").GetInt32() == 401);
        var refusedId = refused.GetProperty("id").GetInt64();
        // This listener's entries only: other tests of the class log delivery attempts in the background.
        var logsBefore = await portal.WithDbAsync(db => db.LogEntries.CountAsync(e => e.SourceId == listener.Id));

        foreach (var client in new[] { await portal.AsSupportAsync(), portal.AsAdmin() })
        {
            var problem = await (await client.PostAsync($"/api/logs/{refusedId}/replay", null)).AssertProblemAsync(HttpStatusCode.Conflict);
            Assert.Contains("authenticated", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));
        Assert.Equal(logsBefore, await portal.WithDbAsync(db => db.LogEntries.CountAsync(e => e.SourceId == listener.Id)));
        var detail = await (await portal.AsAdmin().GetAsync($"/api/logs/{refusedId}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains("401", detail.GetProperty("notReplayableReason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_refused_because_the_listener_was_disabled_cannot_be_replayed_once_it_is_enabled()
    {
        // A disabled listener answers 403 before it looks at the token: the request was never authenticated.
        var listener = await portal.CreateListenerAsync(auth: new { method = "Token", readFrom = "Header", name = "X-Token" });
        var post = Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":7}}}""");
        post.Headers.Add("X-Token", listener.Token);
        await (await portal.Anonymous().SendAsync(post)).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { enabled = false })).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.Anonymous().DeleteAsync($"{listener.HookPath}/7")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.AsAdmin().PutAsJsonAsync($"/api/listeners/{listener.Id}", new { enabled = true })).ReadJsonAsync(HttpStatusCode.OK);
        var refusedId = (await portal.LogsAsync($"sourceId={listener.Id}")).GetProperty("items").EnumerateArray().First(e => e.GetProperty("status").GetInt32() == 403).GetProperty("id").GetInt64();

        await (await (await portal.AsSupportAsync()).PostAsync($"/api/logs/{refusedId}/replay", null)).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal(1, await portal.RecordCountAsync(listener.Id));
    }

    // ---- 2. Backups mask every webhook header value, whoever asks ----

    [Fact]
    public async Task A_backup_never_holds_a_webhook_header_value_or_a_secret_in_its_url_whoever_runs_it()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var org = await portal.IntegrationNameAsync(integrationId);
        var webhookId = (await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks",
            Body("{\"name\":\"partner\",\"postURL\":\"" + SecretUrl + "\",\"headers\":{\"X-Partner-Key\":\"s3cr3t-partner\"}}"))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        foreach (var client in new[] { await portal.AsSupportAsync(), portal.AsAdmin() })
        {
            var accepted = await (await client.PostAsync("/api/backup", null)).ReadJsonAsync(HttpStatusCode.Accepted);
            var job = await WaitForJobAsync(accepted.GetProperty("jobId").GetGuid());
            Assert.Equal(JobStatus.Succeeded, job.Status);

            using var zip = ZipFile.OpenRead(job.FilePath!);
            foreach (var entry in zip.Entries)
            {
                using var reader = new StreamReader(entry.Open());
                var text = await reader.ReadToEndAsync();
                Assert.DoesNotContain("s3cr3t-partner", text, StringComparison.Ordinal);
                AssertNoSecret(text);
            }

            using var webhooks = new StreamReader(zip.GetEntry("webhooks.json")!.Open());
            var saved = JsonDocument.Parse(await webhooks.ReadToEndAsync()).RootElement.EnumerateArray().Single(w => w.GetProperty("id").GetGuid() == webhookId);
            Assert.True(saved.GetProperty("headers").TryGetProperty("X-Partner-Key", out var masked), "the header's name is kept");
            Assert.NotEqual("s3cr3t-partner", masked.GetString());
            Assert.Equal(SafeUrl, PostUrl(saved));
        }
    }

    // ---- 3. Secrets inside URLs stay with Admins ----

    [Theory]
    [InlineData("https://bob:hunter2@crm.example.com/in", "https://crm.example.com/in")]
    [InlineData("https://bob:p@ss@crm.example.com/in?x=1", "https://crm.example.com/in?x=1")] // an unescaped '@' in the password
    [InlineData("https://crm.example.com/in?api_key=abc&access_token=def&x=1", "https://crm.example.com/in?api_key=[redacted]&access_token=[redacted]&x=1")]
    [InlineData("HTTP://user@crm.example.com:8443/a@b?sig=s", "HTTP://crm.example.com:8443/a@b?sig=[redacted]")] // an '@' in the path is no user-info
    [InlineData("https://crm.example.com/plain", "https://crm.example.com/plain")]
    public void A_url_shown_to_a_non_admin_has_no_user_info_and_no_token_like_parameter(string url, string shown) =>
        Assert.Equal(shown, WebhookPortal.Features.Logs.Redaction.Url(url));

    [Fact]
    public void A_label_ending_with_a_url_gets_the_same_treatment() =>
        Assert.Equal("NewOrder → https://hooks.example.com/in?token=[redacted]", WebhookPortal.Features.Logs.Redaction.Label("NewOrder → https://ann:pw@hooks.example.com/in?token=t0k"));

    [Fact]
    public async Task A_webhook_url_with_credentials_is_whole_for_admin_and_redacted_for_support_on_both_apis()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var org = await portal.IntegrationNameAsync(integrationId);
        var id = (await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks",
            Body("{\"name\":\"crm\",\"postURL\":\"" + SecretUrl + "\"}"))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var support = await portal.AsSupportAsync();

        Assert.Equal(SecretUrl, PostUrl(await (await portal.AsAdmin().GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).ReadJsonAsync(HttpStatusCode.OK)));
        Assert.Equal(SafeUrl, PostUrl(await (await support.GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).ReadJsonAsync(HttpStatusCode.OK)));

        var supportList = await (await support.GetAsync($"/v1/mint/organizations/{org}/webhooks")).Content.ReadAsStringAsync();
        AssertNoSecret(supportList);
        var supportAll = await (await support.GetAsync("/api/webhooks")).Content.ReadAsStringAsync();
        AssertNoSecret(supportAll);
        Assert.Contains(SecretUrl, await (await portal.AsAdmin().GetAsync("/api/webhooks")).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await (await portal.Anonymous().GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: integrationId));
        await (await subscriber.GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Delivery_and_subscription_urls_are_whole_for_admin_and_the_subscribing_key_and_redacted_for_support()
    {
        var listener = await portal.CreateListenerAsync();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var admin = portal.AsAdmin();
        var eventName = "Order" + Guid.NewGuid().ToString("N")[..6];
        await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types", new { name = eventName, listenerId = listener.Id, actions = new[] { "insert" } }))
            .ReadJsonAsync(HttpStatusCode.Created);
        var webhookId = (await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("{\"name\":\"crm\",\"postURL\":\"" + SecretUrl + "\"}")))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        const string target = "https://ann:pa55word@hooks.example.invalid/in?token=t0k3n-value&keep=1";
        var subscriber = portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber, integrationIds: listener.IntegrationId));
        var subscriptionId = (await (await subscriber.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = eventName, target_url = target }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        // A record makes one delivery to the webhook and one to the subscription.
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":1}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == webhookId || d.TargetId == subscriptionId)) >= 2,
            "the deliveries to the webhook and the subscription to be staged",
            TimeSpan.FromSeconds(10));

        var support = await portal.AsSupportAsync();
        foreach (var (targetId, whole) in new[] { (webhookId, SecretUrl), (subscriptionId, target) })
        {
            var supportText = await (await support.GetAsync("/api/deliveries")).Content.ReadAsStringAsync();
            var supportDelivery = JsonDocument.Parse(supportText).RootElement.EnumerateArray().Single(d => d.GetProperty("targetId").GetGuid() == targetId);
            AssertNoSecret(supportText);
            Assert.DoesNotContain("pa55word", supportText, StringComparison.Ordinal);
            Assert.DoesNotContain("t0k3n-value", supportText, StringComparison.Ordinal);
            var deliveryId = supportDelivery.GetProperty("id").GetGuid();
            var supportDetail = await (await support.GetAsync($"/api/deliveries/{deliveryId}")).Content.ReadAsStringAsync();
            Assert.DoesNotContain("pa55word", supportDetail, StringComparison.Ordinal);
            AssertNoSecret(supportDetail);

            var adminDetail = await (await admin.GetAsync($"/api/deliveries/{deliveryId}")).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(whole, adminDetail.GetProperty("delivery").GetProperty("url").GetString());
            await (await portal.Anonymous().GetAsync($"/api/deliveries/{deliveryId}")).AssertProblemAsync(HttpStatusCode.Unauthorized);
            await (await subscriber.GetAsync($"/api/deliveries/{deliveryId}")).AssertProblemAsync(HttpStatusCode.Forbidden);
        }

        // The subscription list: Support sees it redacted; an admin and the key that subscribed see what was sent.
        var supportSubscriptions = await (await support.GetAsync("/api/hooks/subscriptions")).Content.ReadAsStringAsync();
        Assert.Contains(subscriptionId.ToString(), supportSubscriptions, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55word", supportSubscriptions, StringComparison.Ordinal);
        Assert.DoesNotContain("t0k3n-value", supportSubscriptions, StringComparison.Ordinal);
        Assert.Contains(target, await (await admin.GetAsync("/api/hooks/subscriptions")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(target, await (await subscriber.GetAsync("/api/hooks/subscriptions")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    // ---- 4. A download link only for the job's owner or an admin, checked by the service ----

    [Fact]
    public async Task A_download_link_is_made_for_the_jobs_owner_and_admins_only()
    {
        var accepted = await (await portal.AsAdmin().PostAsync("/api/backup", null)).ReadJsonAsync(HttpStatusCode.Accepted);
        var job = await WaitForJobAsync(accepted.GetProperty("jobId").GetGuid());
        Assert.Equal(JobStatus.Succeeded, job.Status);

        async Task<string?> LinkAsync(ClaimsPrincipal? user)
        {
            using var scope = portal.Services.CreateScope();
            if (user is not null)
            {
                scope.ServiceProvider.GetRequiredService<PortalCaller>().Use(user);
            }

            return await scope.ServiceProvider.GetRequiredService<JobService>().DownloadUrlAsync(job.Id, CancellationToken.None);
        }

        // Support, another user: refused as if the job did not exist; so is a caller with no identity.
        await Assert.ThrowsAsync<NotFoundException>(() => LinkAsync(Principal("someone-else", PortalRoles.Support)));
        await Assert.ThrowsAsync<ForbiddenException>(() => LinkAsync(null));
        await Assert.ThrowsAsync<ForbiddenException>(() => LinkAsync(Principal("some-key", PortalRoles.Subscriber)));

        // The owner (whatever the role) and any admin get a working link.
        var owner = await LinkAsync(Principal(job.RequestedById, PortalRoles.Support));
        Assert.Equal(HttpStatusCode.OK, (await portal.Anonymous().GetAsync("/" + owner)).StatusCode);
        Assert.NotNull(await LinkAsync(Principal("another-admin", PortalRoles.Admin)));
        Assert.Equal(job.DownloadKeyProtected, await portal.WithDbAsync(db => db.Jobs.Where(j => j.Id == job.Id).Select(j => j.DownloadKeyProtected).SingleAsync()));
    }
}
