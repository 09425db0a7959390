using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: any authenticated caller (and anonymous ones on /api/authenticate) asking the portal to
/// spend memory, disk or tables. Every resource is bounded, and a refused request stores nothing.
/// </summary>
public sealed class ResourceBoundsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<Job> WaitForJobAsync(Guid id)
    {
        return await Eventually.ValueAsync(
            () => portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id)),
            job => job.Status is JobStatus.Succeeded or JobStatus.Failed,
            "the job to finish",
            TimeSpan.FromSeconds(30));
    }

    private Task<int> JobCountAsync() => portal.WithDbAsync(db => db.Jobs.CountAsync());

    // ---- Backups: per-user concurrency ----

    [Fact]
    public async Task A_backup_while_the_user_already_has_two_jobs_queued_or_running_is_429_with_Retry_After_and_nothing_is_queued()
    {
        const string email = "busy@test.local";
        const string password = "Busy-Pass-1";
        await portal.EnsureUserAsync(email, password, PortalRoles.Support);
        var userId = await portal.WithDbAsync(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        await portal.WithDbAsync(db =>
        {
            // As if two earlier backups were still going: one queued, one running.
            db.Jobs.Add(new Job { Id = Guid.NewGuid(), Kind = "backup", RequestedById = userId, CreatedUtc = now, Status = JobStatus.Queued });
            db.Jobs.Add(new Job { Id = Guid.NewGuid(), Kind = "backup", RequestedById = userId, CreatedUtc = now, Status = JobStatus.Running, LeaseUntilUtc = now.AddMinutes(2) });
            return db.SaveChangesAsync();
        });
        var before = await JobCountAsync();

        var refused = await portal.WithBasic(email, password).PostAsync("/api/backup", null);

        var problem = await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("Jobs:MaxConcurrentPerUser", problem.GetProperty("detail").GetString());
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After says when to come back");
        Assert.Equal(before, await JobCountAsync());

        // The limit is per user: another user is not held up by this one.
        var accepted = await (await portal.AsAdmin().PostAsync("/api/backup", null)).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(JobStatus.Succeeded, (await WaitForJobAsync(accepted.GetProperty("jobId").GetGuid())).Status);
    }

    // ---- Backups: an empty webhook_url is a mistake ----

    [Theory]
    [InlineData("/api/backup", "")]
    [InlineData("/api/backup", "   ")]
    [InlineData("/api/backup/owner", "")]
    public async Task An_empty_webhook_url_is_422_and_no_job_is_created(string path, string url)
    {
        var before = await JobCountAsync();

        var response = await portal.AsAdmin().PostAsJsonAsync(path, new { webhook_url = url });

        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("webhook_url", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await JobCountAsync());
    }

    // ---- Backups: streamed, same content ----

    [Fact]
    public async Task A_backup_of_a_listener_with_many_records_holds_exactly_the_records_of_the_records_API()
    {
        var listener = await portal.CreateListenerAsync();
        const int count = 1234;
        for (var start = 0; start < count; start += 300)
        {
            var items = Enumerable.Range(start + 1, Math.Min(300, count - start)).Select(i => $"{{\"id\":{i},\"name\":\"record {i}\",\"comments\":[{{\"text\":\"c{i}\"}}]}}");
            await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, $"{{\"data\":{{\"items\":[{string.Join(",", items)}]}}}}"))).ReadJsonAsync(HttpStatusCode.OK);
        }

        // What the in-memory backup wrote: the records API's pages, serialized in one go.
        var expectedRecords = new List<JsonObject>();
        for (var page = 1; expectedRecords.Count < count; page++)
        {
            var items = (await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener.Id}/records?page={page}&pageSize=500")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("items");
            expectedRecords.AddRange(items.EnumerateArray().Select(e => JsonNode.Parse(e.GetRawText())!.AsObject()));
        }

        var expected = JsonSerializer.Serialize(new { listener = listener.Name, listenerId = listener.Id, records = expectedRecords }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });

        var accepted = await (await portal.AsAdmin().PostAsync("/api/backup", null)).ReadJsonAsync(HttpStatusCode.Accepted);
        var job = await WaitForJobAsync(accepted.GetProperty("jobId").GetGuid());
        Assert.Equal(JobStatus.Succeeded, job.Status);
        using var zip = ZipFile.OpenRead(job.FilePath!);
        using var reader = new StreamReader(zip.GetEntry($"records/{listener.Id}.json")!.Open());
        var actual = await reader.ReadToEndAsync();

        Assert.Equal(count, JsonDocument.Parse(actual).RootElement.GetProperty("records").GetArrayLength());
        Assert.Equal(expected, actual);
    }

    // ---- Backups: files go when their claim expires ----

    [Fact]
    public async Task After_the_download_expires_the_cleanup_deletes_the_file_and_the_link_answers_404()
    {
        var accepted = await (await portal.AsAdmin().PostAsync("/api/backup", null)).ReadJsonAsync(HttpStatusCode.Accepted);
        var job = await WaitForJobAsync(accepted.GetProperty("jobId").GetGuid());
        string url;
        using (var scope = portal.Services.CreateScope())
        {
            // The Jobs page's link, made for an administrator (the service checks the caller).
            scope.ServiceProvider.GetRequiredService<WebhookPortal.Infrastructure.Auth.PortalCaller>().Use(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
                [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, WebhookPortal.Infrastructure.Auth.PortalRoles.Admin)], "Test")));
            url = (await scope.ServiceProvider.GetRequiredService<JobService>().DownloadUrlAsync(job.Id, CancellationToken.None))!;
        }

        Assert.Equal(HttpStatusCode.OK, (await portal.Anonymous().GetAsync("/" + url)).StatusCode);
        Assert.True(File.Exists(job.FilePath));

        // Hangfire runs the cleanup on a schedule; here it runs as that schedule would, after the expiry.
        var recurring = portal.Services.GetRequiredService<Hangfire.JobStorage>().GetConnection().GetRecurringJobs();
        Assert.Contains(recurring, r => r.Id == JobFileCleanup.RecurringJobId);
        using (var scope = portal.Services.CreateScope())
        {
            var cleanup = scope.ServiceProvider.GetRequiredService<JobFileCleanup>();
            await cleanup.RunAsync();
            Assert.True(File.Exists(job.FilePath), "a file whose link still works is kept");
            portal.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
            await cleanup.RunAsync();
        }

        Assert.False(File.Exists(job.FilePath));
        await (await portal.Anonymous().GetAsync("/" + url)).AssertProblemAsync(HttpStatusCode.NotFound);
        var row = await portal.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == job.Id));
        Assert.Null(row.FilePath);
        Assert.Equal(JobStatus.Succeeded, row.Status);
    }

    [Fact]
    public async Task The_cleanup_deletes_expired_job_tokens_old_finished_jobs_and_files_no_job_names_and_keeps_the_rest()
    {
        var now = portal.Clock.GetUtcNow().UtcDateTime;
        var options = portal.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<JobOptions>>().Value;
        var folder = portal.Services.GetRequiredService<WebhookPortal.Infrastructure.Configuration.OperatorDirectory>().Resolve(options.Directory);
        Directory.CreateDirectory(folder);
        JobToken Token(DateTime expires) => new() { Id = Guid.NewGuid(), TokenHash = Guid.NewGuid().ToByteArray(), UserId = "u", UserName = "u@test.local", Role = "Admin", ExpiresUtc = expires };
        Job Finished(DateTime finished, JobStatus status = JobStatus.Succeeded) => new() { Id = Guid.NewGuid(), Kind = "backup", RequestedById = "u", Status = status, CreatedUtc = finished, StartedUtc = finished, FinishedUtc = finished };
        var expiredToken = Token(now.AddSeconds(-1));
        var liveToken = Token(now.AddMinutes(30));
        var oldJob = Finished(now - options.Retention - TimeSpan.FromMinutes(1));
        var oldFailed = Finished(now - options.Retention - TimeSpan.FromDays(3), JobStatus.Failed);
        var recentJob = Finished(now - options.Retention + TimeSpan.FromMinutes(1));
        var oldRunning = Finished(now - options.Retention - TimeSpan.FromDays(1), JobStatus.Running);
        var orphanOld = Path.Combine(folder, $"backup-{Guid.NewGuid():N}.zip");
        var orphanNew = Path.Combine(folder, $"backup-{Guid.NewGuid():N}.zip");
        var named = Path.Combine(folder, $"backup-{Guid.NewGuid():N}.zip");
        foreach (var file in new[] { orphanOld, orphanNew, named })
        {
            await File.WriteAllTextAsync(file, "zip");
        }

        File.SetLastWriteTimeUtc(orphanOld, now - options.DownloadLifetime - TimeSpan.FromMinutes(1));
        File.SetLastWriteTimeUtc(orphanNew, now - TimeSpan.FromMinutes(1));
        File.SetLastWriteTimeUtc(named, now - TimeSpan.FromDays(2));
        recentJob.FilePath = named;
        recentJob.DownloadExpiresUtc = now.AddHours(1);
        await portal.WithDbAsync(async db =>
        {
            db.JobTokens.AddRange(expiredToken, liveToken);
            db.Jobs.AddRange(oldJob, oldFailed, recentJob, oldRunning);
            return await db.SaveChangesAsync();
        });

        using (var scope = portal.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<JobFileCleanup>().RunAsync();
        }

        var tokens = await portal.WithDbAsync(db => db.JobTokens.AsNoTracking().Where(t => t.Id == expiredToken.Id || t.Id == liveToken.Id).Select(t => t.Id).ToListAsync());
        Assert.Equal([liveToken.Id], tokens);
        var jobs = await portal.WithDbAsync(db => db.Jobs.AsNoTracking().Where(j => new[] { oldJob.Id, oldFailed.Id, recentJob.Id, oldRunning.Id }.Contains(j.Id)).Select(j => j.Id).ToListAsync());
        Assert.Equal(new[] { recentJob.Id, oldRunning.Id }.Order(), jobs.Order());
        Assert.False(File.Exists(orphanOld), "a file no job names, older than a download lifetime");
        Assert.True(File.Exists(orphanNew), "a file perhaps still being written");
        Assert.True(File.Exists(named), "a file its job still names");
        File.Delete(orphanNew);
        File.Delete(named);
    }

    // ---- Small bodies ----

    private async Task<string> ApiKeyAsync() =>
        (await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "bounds", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("key").GetString()!;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_100_KB_body_to_authenticate_is_413_and_no_token_is_issued(bool withLength)
    {
        var key = await ApiKeyAsync();
        var json = JsonSerializer.Serialize(new { api_key = key, username = PortalFactory.AdminEmail, password = PortalFactory.AdminPassword, padding = new string('x', 100 * 1024) });
        var before = await portal.WithDbAsync(db => db.JobTokens.CountAsync());
        HttpContent content = withLength
            ? new StringContent(json, Encoding.UTF8, "application/json")
            : new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await portal.Anonymous().PostAsync("/api/authenticate", content);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await portal.WithDbAsync(db => db.JobTokens.CountAsync()));

        // The same credentials in a small body still work.
        await (await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key, username = PortalFactory.AdminEmail, password = PortalFactory.AdminPassword })).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_100_KB_body_to_settings_endpoints_is_413_and_changes_nothing()
    {
        var admin = portal.AsAdmin();
        var big = new string('x', 100 * 1024);
        var integrations = await portal.WithDbAsync(db => db.Integrations.CountAsync());
        var keys = await portal.WithDbAsync(db => db.ApiKeys.CountAsync());
        var users = await portal.WithDbAsync(db => db.Users.CountAsync());

        await (await admin.PostAsJsonAsync("/api/integrations", new { name = "big", description = big })).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await admin.PostAsJsonAsync("/api/api-keys", new { name = big, role = "Admin" })).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await admin.PostAsJsonAsync("/api/users", new { email = "big@test.local", password = big, role = "Support" })).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await admin.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = big, target_url = "https://example.com/" })).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal(integrations, await portal.WithDbAsync(db => db.Integrations.CountAsync()));
        Assert.Equal(keys, await portal.WithDbAsync(db => db.ApiKeys.CountAsync()));
        Assert.Equal(users, await portal.WithDbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task A_100_KB_sample_still_previews_tables_but_one_over_the_large_limit_is_413()
    {
        var listener = await NewListenerAsync();
        var items = Enumerable.Range(1, 2000).Select(i => $"{{\"id\":{i},\"name\":\"{new string('n', 30)}\"}}");
        var sample = $"[{string.Join(",", items)}]";
        Assert.True(sample.Length > 100 * 1024);

        await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener}/tables/preview", new { sample, baseName = "big" })).ReadJsonAsync(HttpStatusCode.OK);

        var huge = new string(' ', 1024 * 1024) + "{}";
        await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener}/tables/preview", new { sample = huge, baseName = "big" })).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    // ---- Generate Tables caps ----

    private async Task<Guid> NewListenerAsync()
    {
        var integrationId = await portal.CreateIntegrationAsync();
        return (await (await portal.AsAdmin().PostAsJsonAsync($"/api/integrations/{integrationId}/listeners", new { name = "caps-" + Guid.NewGuid().ToString("N")[..8], auth = new { method = "None" } }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
    }

    private static string Columns(int n) => "{\"id\":1," + string.Join(",", Enumerable.Range(1, n - 1).Select(i => $"\"c{i}\":{i}")) + "}";

    private static string Tables(int n) => "{\"id\":1," + string.Join(",", Enumerable.Range(1, n - 1).Select(i => $"\"t{i}\":[{{\"x\":{i}}}]")) + "}";

    /// <summary>A record whose deepest field is at level <paramref name="levels"/> (the record's own fields are level 1).</summary>
    private static string Depth(int levels) => "{\"id\":1," + string.Concat(Enumerable.Range(2, levels - 1).Select(i => $"\"n{i}\":{{")) + "\"leaf\":1" + new string('}', levels - 1) + "}";

    public static TheoryData<string, string, string> OverCaps => new()
    {
        { "preview", Columns(201), "Listeners:MaxColumns" },
        { "generate", Columns(201), "Listeners:MaxColumns" },
        { "preview", Tables(21), "Listeners:MaxTables" },
        { "generate", Tables(21), "Listeners:MaxTables" },
        { "preview", Depth(9), "Listeners:MaxDepth" },
        { "generate", Depth(9), "Listeners:MaxDepth" },
    };

    [Theory]
    [MemberData(nameof(OverCaps))]
    public async Task A_sample_over_a_cap_is_422_naming_the_cap_and_no_table_is_created(string action, string sample, string cap)
    {
        var listener = await NewListenerAsync();
        var path = action == "preview" ? $"/api/listeners/{listener}/tables/preview" : $"/api/listeners/{listener}/tables";
        var tablesBefore = await portal.WithDbAsync(PhysicalTables.NamesAsync);

        var response = await portal.AsAdmin().PostAsJsonAsync(path, new { sample, baseName = "capped", primaryKey = new[] { "id" } });

        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains(cap, problem.GetProperty("detail").GetString());
        Assert.Equal(tablesBefore.Order(), (await portal.WithDbAsync(PhysicalTables.NamesAsync)).Order());
        Assert.DoesNotContain(tablesBefore, n => n.StartsWith(SqlDialect.PhysicalName(listener, ""), StringComparison.OrdinalIgnoreCase));
        var stored = await (await portal.AsAdmin().GetAsync($"/api/listeners/{listener}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("tables").ValueKind);
    }

    public static TheoryData<string> AtCaps => new() { Columns(200), Tables(20), Depth(8) };

    [Theory]
    [MemberData(nameof(AtCaps))]
    public async Task A_sample_exactly_at_a_cap_generates_its_tables(string sample)
    {
        var listener = await NewListenerAsync();

        await (await portal.AsAdmin().PostAsJsonAsync($"/api/listeners/{listener}/tables", new { sample, baseName = "atcap", primaryKey = new[] { "id" } })).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Contains(await portal.WithDbAsync(PhysicalTables.NamesAsync), n => n.StartsWith(SqlDialect.PhysicalName(listener, ""), StringComparison.OrdinalIgnoreCase));
    }
}
