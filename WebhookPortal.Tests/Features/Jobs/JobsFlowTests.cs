using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Jobs;

/// <summary>Seed 002's client calls against the portal, with a loopback receiver as the webhook_url.</summary>
public sealed class JobsFlowTests(DeliveryPortalFactory portal) : IClassFixture<DeliveryPortalFactory>
{
    private async Task<string> ApiKeyAsync() =>
        (await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "deno", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("key").GetString()!;

    private async Task<string> TokenAsync(string email = PortalFactory.AdminEmail, string password = PortalFactory.AdminPassword)
    {
        var key = await ApiKeyAsync();
        var response = await portal.Anonymous().GetAsync($"/api/authenticate?api_key={Uri.EscapeDataString(key)}&username={Uri.EscapeDataString(email)}&password={Uri.EscapeDataString(password)}");
        var json = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(json.GetProperty("expiresAt").GetDateTime() > DateTime.UtcNow);
        return json.GetProperty("token").GetString()!;
    }

    private HttpClient WithToken(string token)
    {
        var client = portal.Anonymous();
        client.DefaultRequestHeaders.Add("token", token);
        return client;
    }

    private static string SecretFrom(ReceivedRequest request) =>
        System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + request.PathAndQuery).Query)["id"]!;

    [Fact]
    public async Task The_seed_flow_end_to_end_gives_a_download_containing_a_stored_record()
    {
        var listener = await portal.CreateListenerAsync();
        await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":{"id":4242,"name":"backed up"}}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var admin = portal.AsAdmin();
        await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types", new { name = "BackedUpEvent", listenerId = listener.Id, actions = new[] { "insert" } })).ReadJsonAsync(HttpStatusCode.Created);
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new
        {
            name = "with-credentials", postURL = "https://hooks.example.com/in", headers = new Dictionary<string, string> { ["Authorization"] = "Bearer receiver-credential-42", ["X-Team"] = "ops" },
        })).ReadJsonAsync(HttpStatusCode.Created);
        await using var receiver = await LoopbackReceiver.StartAsync();
        var token = await TokenAsync();
        var client = WithToken(token);

        var accepted = await (await client.PostAsJsonAsync("/api/backup/owner", new { webhook_url = receiver.Url("/callback") })).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(202, accepted.GetProperty("successCode").GetInt32());
        Assert.False(string.IsNullOrEmpty(accepted.GetProperty("message").GetString()));
        var jobId = accepted.GetProperty("jobId").GetGuid();

        var callback = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("GET", callback.Method);
        Assert.StartsWith("/callback?id=", callback.PathAndQuery);
        var secret = SecretFrom(callback);
        Assert.True(Guid.TryParse(secret, out var uuid) && uuid.ToString("D")[14] == '4', "the secret is a UUID v4");

        var claim = await (await client.GetAsync($"/api/webhook?id={secret}")).ReadJsonAsync(HttpStatusCode.OK);
        var data = claim.GetProperty("data");
        Assert.Equal(jobId, data.GetProperty("jobId").GetGuid());
        Assert.Equal("succeeded", data.GetProperty("status").GetString());
        var url = new Uri(data.GetProperty("url").GetString()!);

        var download = await portal.Anonymous().GetAsync(url.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        using var zip = new ZipArchive(await download.Content.ReadAsStreamAsync());
        Assert.Contains(zip.Entries, e => e.FullName == "integrations.json");
        var records = zip.Entries.Single(e => e.FullName == $"records/{listener.Id}.json");
        using var reader = new StreamReader(records.Open());
        Assert.Contains("backed up", await reader.ReadToEndAsync());
        using (var listenersEntry = new StreamReader(zip.Entries.Single(e => e.FullName == "listeners.json").Open()))
        {
            Assert.DoesNotContain("tokenHash", await listenersEntry.ReadToEndAsync(), StringComparison.OrdinalIgnoreCase);
        }

        using (var eventTypes = new StreamReader(zip.Entries.Single(e => e.FullName == "event-types.json").Open()))
        {
            Assert.Contains("BackedUpEvent", await eventTypes.ReadToEndAsync());
        }

        using (var webhooks = new StreamReader(zip.Entries.Single(e => e.FullName == "webhooks.json").Open()))
        {
            var text = await webhooks.ReadToEndAsync();
            Assert.Contains("with-credentials", text);
            // Header names stay; every value is masked, credential-looking or not (Support may run a backup).
            Assert.Contains("X-Team", text);
            Assert.DoesNotContain("\"ops\"", text);
            Assert.DoesNotContain("receiver-credential-42", text);
            Assert.DoesNotContain("whsec_", text);
        }

        var job = await (await client.GetAsync($"/api/jobs/{jobId}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(100, job.GetProperty("progress").GetInt32());
        Assert.Equal("delivered", job.GetProperty("callbackStatus").GetString());
        var log = await portal.LogsAsync($"name=job:{jobId}");
        var entry = Assert.Single(log.GetProperty("items").EnumerateArray());
        Assert.DoesNotContain(secret, entry.GetProperty("path").GetString());
    }

    [Fact]
    public async Task A_webhook_url_with_a_query_gets_the_id_appended_and_a_500_is_retried()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Answer(new PlannedAnswer(500));
        var client = WithToken(await TokenAsync());

        var jobId = (await (await client.PostAsJsonAsync("/api/backup", new { webhook_url = receiver.Url("/cb?tenant=acme") })).ReadJsonAsync(HttpStatusCode.Accepted)).GetProperty("jobId").GetGuid();

        var calls = await receiver.WaitForAsync(2);
        Assert.All(calls, c => Assert.StartsWith("/cb?tenant=acme&id=", c.PathAndQuery));
        Assert.Equal(calls[0].PathAndQuery, calls[1].PathAndQuery);

        // The second answer (200, the receiver's default) ends it: delivered, and no third call.
        // Delivered is final (no further attempt is scheduled), so the receiver's count is final once it is reached.
        await Eventually.TrueAsync(async () => (await (await client.GetAsync($"/api/jobs/{jobId}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("callbackStatus").GetString() == "delivered",
            "the callback delivered", TimeSpan.FromSeconds(5));
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task A_job_with_a_callback_left_queued_by_a_stopped_process_runs_after_a_restart_and_calls_back()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));
        var jobId = Guid.NewGuid();
        try
        {
            using (var first = new DeliveryPortalFactory(directory, TimeSpan.FromSeconds(1)))
            {
                // As if the process died right after answering 202: the row is queued, Hangfire's job is gone.
                var owner = await first.WithDbAsync(db => db.Users.Where(u => u.Email == PortalFactory.AdminEmail).Select(u => u.Id).SingleAsync());
                await first.WithDbAsync(db =>
                {
                    db.Jobs.Add(new Job { Id = jobId, Kind = "backup", RequestedById = owner, CreatedUtc = DateTime.UtcNow, CallbackUrl = receiver.Url("/after-restart") });
                    return db.SaveChangesAsync();
                });
            }

            using var second = new DeliveryPortalFactory(directory, TimeSpan.FromSeconds(1));
            _ = second.Services;

            var call = Assert.Single(await receiver.WaitForAsync(1, TimeSpan.FromSeconds(30)));
            Assert.StartsWith("/after-restart?id=", call.PathAndQuery);
            var job = await second.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));
            Assert.Equal(JobStatus.Succeeded, job.Status);
            Assert.NotNull(job.CallbackDeliveryId);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.com/cb")]
    [InlineData("http://example.com/cb")]
    [InlineData("https://10.0.0.8/cb")]
    public async Task Bad_webhook_urls_are_422_and_start_nothing(string url)
    {
        var client = WithToken(await TokenAsync());
        var before = await portal.WithDbAsync(db => db.Jobs.CountAsync());
        await (await client.PostAsJsonAsync("/api/backup/owner", new { webhook_url = url })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Jobs.CountAsync()));
    }

    [Fact]
    public async Task Without_a_token_or_with_a_bad_one_the_backup_is_401()
    {
        await (await portal.Anonymous().PostAsJsonAsync("/api/backup/owner", new { webhook_url = "https://example.com/cb" })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await WithToken("wpt_forged").PostAsJsonAsync("/api/backup/owner", new { webhook_url = "https://example.com/cb" })).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    public async Task Wrong_or_missing_credentials_are_401_and_never_echoed(bool badKey, bool badPassword, bool missing)
    {
        var key = badKey ? "wpk_000000000000_nope" : await ApiKeyAsync();
        var password = badPassword ? "Wrong-Secret-77" : PortalFactory.AdminPassword;
        var response = missing
            ? await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key })
            : await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key, username = PortalFactory.AdminEmail, password });
        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.DoesNotContain(password, problem.ToString());
        Assert.DoesNotContain(key, problem.ToString());
    }

    [Fact]
    public async Task A_form_post_authenticates_too_and_bearer_works_like_the_token_header()
    {
        var key = await ApiKeyAsync();
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["api_key"] = key, ["username"] = PortalFactory.AdminEmail, ["password"] = PortalFactory.AdminPassword });
        var token = (await (await portal.Anonymous().PostAsync("/api/authenticate", form)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        await (await portal.WithBearer(token).GetAsync("/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Wrong_passwords_on_authenticate_are_throttled_not_a_lockout()
    {
        const string email = "jobs-lock@test.local";
        await portal.EnsureUserAsync(email, "Right-Pass-1", "Support");
        var key = await ApiKeyAsync();
        for (var i = 0; i < 5; i++)
        {
            await (await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key, username = email, password = "wrong" + i })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        // The account is not locked: the owner is only ever held back by the limit of the address that guessed.
        await (await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key, username = email, password = "Right-Pass-1" })).ReadJsonAsync(HttpStatusCode.OK);
        var locked = await portal.WithDbAsync(db => db.Users.Where(u => u.Email == email).Select(u => u.LockoutEnd).SingleAsync());
        Assert.Null(locked);
    }

    [Fact]
    public async Task Another_users_secret_and_an_unknown_secret_are_404()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var adminClient = WithToken(await TokenAsync());
        await (await adminClient.PostAsJsonAsync("/api/backup/owner", new { webhook_url = receiver.Url() })).ReadJsonAsync(HttpStatusCode.Accepted);
        var secret = SecretFrom((await receiver.WaitForAsync(1))[0]);

        await portal.EnsureUserAsync("jobs-other@test.local", "Other-Pass-1", "Support");
        var otherClient = WithToken(await TokenAsync("jobs-other@test.local", "Other-Pass-1"));
        await (await otherClient.GetAsync($"/api/webhook?id={secret}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await adminClient.GetAsync($"/api/webhook?id={Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await adminClient.GetAsync($"/api/webhook?id={secret}")).ReadJsonAsync(HttpStatusCode.OK);
        var othersJobs = await (await otherClient.GetAsync("/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, othersJobs.GetArrayLength());
    }
}
