using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Configuration;

namespace WebhookPortal.Features.Jobs;

/// <summary>
/// Writes a zip of JSON: integrations, listeners (no token hashes), webhooks (no secrets, header values masked), notification
/// rules and every listener's stored records; then calls the callback through the delivery engine.
/// </summary>
public sealed class BackupJob(
    PortalDbContext db,
    ListenerCatalog listeners,
    ListenerRecords records,
    DeliveryOutbox outbox,
    IDataProtectionProvider protection,
    IOptions<JobOptions> options,
    OperatorDirectory operatorDirectory,
    TimeProvider time,
    IBackgroundJobClient jobClient,
    ILogger<BackupJob> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private const int PageSize = 500;

    public const string Kind = "backup";

    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(Guid jobId, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var lease = now + options.Value.Lease;
        var started = await db.Jobs
            .Where(j => j.Id == jobId && j.Kind == Kind && (j.Status == JobStatus.Queued || (j.Status == JobStatus.Running && (j.LeaseUntilUtc == null || j.LeaseUntilUtc < now))))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Running).SetProperty(j => j.StartedUtc, now).SetProperty(j => j.Progress, 0).SetProperty(j => j.LeaseUntilUtc, lease), ct);
        if (started == 0)
        {
            // Another run holds the job: look again when its lease ends, in case that run died.
            var heldUntil = await db.Jobs.Where(j => j.Id == jobId && j.Status == JobStatus.Running).Select(j => j.LeaseUntilUtc).SingleOrDefaultAsync(ct);
            if (heldUntil is { } until)
            {
                jobClient.Schedule<BackupJob>(b => b.RunAsync(jobId, CancellationToken.None), until - now + TimeSpan.FromSeconds(1));
            }

            return;
        }

        try
        {
            var path = await WriteBackupAsync(jobId, ct);
            await FinishAsync(jobId, path, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Backup job {JobId} failed.", jobId);

            // A half-written file has no download link, so nothing would ever delete it.
            if (File.Exists(FilePathOf(jobId)))
            {
                File.Delete(FilePathOf(jobId));
            }
            await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Failed).SetProperty(j => j.Error, ex.Message).SetProperty(j => j.FinishedUtc, time.GetUtcNow().UtcDateTime)
                .SetProperty(j => j.LeaseUntilUtc, (DateTime?)null), CancellationToken.None);
        }
    }

    private string FilePathOf(Guid jobId) => Path.Combine(operatorDirectory.Resolve(options.Value.Directory), $"backup-{jobId:N}.zip");

    private Task ProgressAsync(Guid jobId, int progress, CancellationToken ct)
    {
        var lease = time.GetUtcNow().UtcDateTime + options.Value.Lease;
        return db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.Progress, progress).SetProperty(j => j.LeaseUntilUtc, lease), ct);
    }

    private async Task<string> WriteBackupAsync(Guid jobId, CancellationToken ct)
    {
        var path = FilePathOf(jobId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);

        async Task WriteAsync(string name, object value)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
            await using var stream = entry.Open();
            await JsonSerializer.SerializeAsync(stream, value, Json, ct);
        }

        await WriteAsync("integrations.json", await db.Integrations.AsNoTracking().OrderBy(i => i.Name).Select(i => new { i.Id, i.Name, i.Description, i.CreatedUtc, i.UpdatedUtc }).ToListAsync(ct));
        await ProgressAsync(jobId, 10, ct);
        var allListeners = await listeners.ListAsync(null, ct);
        await WriteAsync("listeners.json", allListeners);
        // Support may run a backup, and the file outlives the request: no signing secrets, every custom header value
        // masked (names kept; a header's name says nothing about whether its value is a credential, e.g.
        // X-Partner-Key), and the URL without user-info or token-like parameters — whoever asked.
        var webhooks = await db.Webhooks.AsNoTracking().ToListAsync(ct);
        await WriteAsync("webhooks.json", webhooks.Select(w => new
        {
            w.Id, w.IntegrationId, w.Name, PostUrl = Redaction.Url(w.PostUrl), w.Enabled, w.EventTypesJson,
            Headers = w.Headers.ToDictionary(h => h.Key, _ => WebhookView.MaskedValue),
            w.CreatedUtc, w.UpdatedUtc,
        }).ToList());
        await WriteAsync("notification-rules.json", await db.NotificationRules.AsNoTracking().ToListAsync(ct));
        await WriteAsync("event-types.json", await db.EventTypes.AsNoTracking().OrderBy(e => e.Name)
            .Select(e => new { e.Id, e.IntegrationId, e.ListenerId, e.Name, e.Description, e.ActionsJson, e.Script, e.Enabled, e.CreatedUtc, e.UpdatedUtc }).ToListAsync(ct));
        await ProgressAsync(jobId, 30, ct);

        for (var i = 0; i < allListeners.Count; i++)
        {
            var listener = allListeners[i];
            // Streamed page by page: only one page of records is in memory, whatever the listener holds.
            var entry = zip.CreateEntry($"records/{listener.Id}.json", CompressionLevel.Optimal);
            await using (var stream = entry.Open())
            await using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteString("listener", listener.Name);
                writer.WriteString("listenerId", listener.Id);
                writer.WriteStartArray("records");
                for (var page = 1; ; page++)
                {
                    var chunk = await records.GetRecordsAsync(listener.Id, page, PageSize, ct: ct);
                    foreach (var record in chunk.Items)
                    {
                        record.WriteTo(writer, Json);
                    }

                    await writer.FlushAsync(ct);
                    if (chunk.Items.Count < PageSize)
                    {
                        break;
                    }

                    // A long listener keeps the lease alive page by page.
                    await ProgressAsync(jobId, 30 + (int)(65.0 * i / allListeners.Count), ct);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            await ProgressAsync(jobId, 30 + (int)(65.0 * (i + 1) / allListeners.Count), ct);
        }

        return path;
    }

    private async Task FinishAsync(Guid jobId, string path, CancellationToken ct)
    {
        var job = await db.Jobs.SingleAsync(j => j.Id == jobId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        job.Status = JobStatus.Succeeded;
        job.Progress = 100;
        job.LeaseUntilUtc = null;
        job.FinishedUtc = now;
        job.FilePath = path;
        job.DownloadExpiresUtc = now + options.Value.DownloadLifetime;
        var downloadKey = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        job.DownloadKeyProtected = JobService.ProtectDownloadKey(protection, downloadKey);

        List<Delivery> staged = [];
        if (job.CallbackUrl is { } callback)
        {
            // docs/compatibility.md#async-jobs: GET {webhook_url}?id=<secret uuid>. The delivery stores the URL without the secret; the
            // worker derives it again when sending (JobCallbackSecret), so it is nowhere in clear at rest.
            job.SecretHash = JobService.Hash(JobCallbackSecret.Derive(downloadKey, job.Id));
            var (_, deliveriesOfJob) = outbox.Stage(db, null, "job.completed", "", [new DeliveryRequest(DeliveryTargetKind.Job, job.Id, $"job:{job.Id}", callback, "GET")]);
            staged = deliveriesOfJob;
            job.CallbackDeliveryId = staged[0].Id;
        }

        await db.SaveChangesAsync(ct);
        outbox.Dispatch(staged);
    }
}

/// <summary>At start, runs again every job that was queued or running when the process stopped.</summary>
internal sealed class JobRecoveryAtStart(IServiceScopeFactory scopes, IHostApplicationLifetime lifetime, ILogger<JobRecoveryAtStart> logger) : IHostedService
{
    private const string BackupKind = BackupJob.Kind;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
                var client = scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>();
                // Backups and retention runs are run again; a redelivery's row has no worker (its deliveries are the work,
                // and the delivery engine recovers those).
                var unfinished = await db.Jobs.Where(j => (j.Status == JobStatus.Queued || j.Status == JobStatus.Running) && (j.Kind == BackupKind || j.Kind == RetentionRuns.Kind))
                    .Select(j => new { j.Id, j.Kind }).ToListAsync();
                foreach (var job in unfinished)
                {
                    var id = job.Id;
                    if (job.Kind == RetentionRuns.Kind)
                    {
                        client.Enqueue<RetentionRunJob>(r => r.RunAsync(id, null, CancellationToken.None));
                    }
                    else
                    {
                        client.Enqueue<BackupJob>(b => b.RunAsync(id, CancellationToken.None));
                    }
                }

                if (unfinished.Count > 0)
                {
                    logger.LogInformation("Re-queued {Count} unfinished jobs at start.", unfinished.Count);
                }
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Could not re-queue unfinished jobs at start.");
            }
        }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
