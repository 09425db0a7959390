using System.IO.Compression;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Configuration;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Jobs;

/// <summary>The async-jobs flow (docs/compatibility.md#async-jobs) after authentication: start a backup (202), call back with a secret, trade it for a download URL; the Jobs page's list.</summary>
public sealed class JobService(
    IDbContextFactory<PortalDbContext> dbFactory,
    IBackgroundJobClient jobs,
    IDataProtectionProvider protection,
    IOptions<JobOptions> options,
    IOptions<OutboundOptions> outbound,
    IOptions<PortalOptions> portal,
    TimeProvider time,
    PortalCaller caller)
{
    private const string DownloadPurpose = "WebhookPortal.JobDownloads.v1";

    /// <summary>
    /// Starts a backup for whoever calls now (PortalCaller): an open page acts with the user's current rights, not
    /// the ones they had when it opened, so a demoted, locked or signed-out user's tab starts nothing.
    /// </summary>
    public async Task<BackupResponse> StartBackupAsync(string? webhookUrl, CancellationToken ct)
    {
        var user = await caller.RequireStaffAsync("start backups");
        string? callback = null;
        if (webhookUrl is not null && string.IsNullOrWhiteSpace(webhookUrl))
        {
            // An empty URL is a mistake (a template left blank), not a way to ask for no callback: leave the field out for that.
            throw new UnprocessableException("webhook_url: must be an absolute URL; leave the field out for no callback.");
        }

        if (webhookUrl is not null)
        {
            callback = webhookUrl.Trim();
            var error = UrlGuard.ValidateUrl(callback, outbound.Value.AllowedHosts);
            if (error is null)
            {
                var uri = new Uri(callback);
                if (uri.Scheme != "https" && !UrlGuard.IsAllowedHost(uri.Host, outbound.Value.AllowedHosts))
                {
                    error = "webhook_url must be https (http only for hosts in Outbound:AllowedHosts).";
                }
            }

            if (error is not null)
            {
                throw new UnprocessableException("webhook_url: " + error);
            }
        }

        var job = new Job
        {
            Id = Guid.NewGuid(),
            Kind = BackupJob.Kind,
            RequestedById = OwnerOf(user) ?? "unknown",
            RequestedByName = user.Identity?.Name,
            CreatedUtc = time.GetUtcNow().UtcDateTime,
            CallbackUrl = callback,
        };
        // Added, then counted in the same transaction: on SQLite the insert takes the write lock, so two
        // simultaneous requests cannot both slip under the limit.
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            db.Jobs.Add(job);
            await db.SaveChangesAsync(ct);
            // Backups only: a retention run or a redelivery in progress is no reason to refuse someone's backup.
            var active = await db.Jobs.CountAsync(j => j.Kind == BackupJob.Kind && j.RequestedById == job.RequestedById && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running), ct);
            if (active > options.Value.MaxConcurrentPerUser)
            {
                await transaction.RollbackAsync(ct);
                throw new JobLimitException(options.Value.MaxConcurrentPerUser);
            }

            await transaction.CommitAsync(ct);
        }

        var id = job.Id;
        jobs.Enqueue<BackupJob>(b => b.RunAsync(id, CancellationToken.None));
        return new BackupResponse(202, "The backup was started; the webhook_url is called when it is ready.", job.Id);
    }

    /// <summary>Trades the callback's secret for the download URL: only the job's owner, only before it expires.</summary>
    public async Task<ClaimResponse> ClaimAsync(string? secret, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(secret))
        {
            throw new NotFoundException("Unknown or expired id.");
        }

        var hash = Hash(secret);
        var userId = OwnerOf(await caller.GetUserAsync());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.SecretHash == hash, ct);
        var now = time.GetUtcNow().UtcDateTime;
        if (job is null || job.RequestedById != userId || job.DownloadExpiresUtc is not { } expires || expires <= now || job.DownloadKeyProtected is null)
        {
            throw new NotFoundException("Unknown or expired id.");
        }

        var key = protection.CreateProtector(DownloadPurpose).Unprotect(job.DownloadKeyProtected);
        var url = $"{portal.Value.PublicBaseUrl.TrimEnd('/')}/api/jobs/{job.Id}/download?key={Uri.EscapeDataString(key)}";
        return new ClaimResponse(new ClaimData(url, expires, job.Id, job.Status));
    }

    /// <summary>The backup file for a valid, unexpired key; null otherwise.</summary>
    public async Task<(string Path, string Name)?> DownloadAsync(Guid jobId, string? key, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct);
        if (job?.DownloadKeyProtected is null || job.FilePath is null || string.IsNullOrEmpty(key) || job.DownloadExpiresUtc <= time.GetUtcNow().UtcDateTime)
        {
            return null;
        }

        var expected = Encoding.UTF8.GetBytes(protection.CreateProtector(DownloadPurpose).Unprotect(job.DownloadKeyProtected));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(key)) && File.Exists(job.FilePath)
            ? (job.FilePath, $"webhookportal-backup-{job.CreatedUtc:yyyyMMdd-HHmmss}.zip")
            : null;
    }

    public async Task<IReadOnlyList<JobView>> ListAsync(CancellationToken ct)
    {
        var user = await caller.RequireStaffAsync("list jobs");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Jobs.AsNoTracking();
        if (!PortalCaller.IsAdmin(user))
        {
            var userId = OwnerOf(user);
            query = query.Where(j => j.RequestedById == userId);
        }

        var rows = await query.OrderByDescending(j => j.CreatedUtc).Take(200).ToListAsync(ct);
        return await ViewsAsync(db, rows, ct);
    }

    public async Task<JobView> GetAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await ViewsAsync(db, [await FindOwnAsync(db, id, "read jobs", ct)], ct))[0];
    }

    /// <summary>
    /// A direct download link (the Jobs page), valid while the file is: for the job's owner or an administrator,
    /// checked here and now — the link is a working credential for the whole backup.
    /// </summary>
    public async Task<string?> DownloadUrlAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await FindOwnAsync(db, id, "download backups", ct);
        if (job.DownloadKeyProtected is null || job.DownloadExpiresUtc <= time.GetUtcNow().UtcDateTime)
        {
            return null;
        }

        return $"api/jobs/{job.Id}/download?key={Uri.EscapeDataString(protection.CreateProtector(DownloadPurpose).Unprotect(job.DownloadKeyProtected))}";
    }

    /// <summary>The job if the current caller owns it or is an administrator; others get the same 404 as a job that does not exist.</summary>
    private async Task<Job> FindOwnAsync(PortalDbContext db, Guid id, string action, CancellationToken ct)
    {
        var user = await caller.RequireStaffAsync(action);
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);
        if (job is null || (!PortalCaller.IsAdmin(user) && (OwnerOf(user) is not { } owner || job.RequestedById != owner)))
        {
            throw new NotFoundException($"No job with id {id}.");
        }

        return job;
    }

    // A caller without a user id owns no job.
    private static string? OwnerOf(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier);

    public static string ProtectDownloadKey(IDataProtectionProvider protection, string key) => protection.CreateProtector(DownloadPurpose).Protect(key);

    public static string UnprotectDownloadKey(IDataProtectionProvider protection, string protectedKey) => protection.CreateProtector(DownloadPurpose).Unprotect(protectedKey);

    public static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));

    private async Task<IReadOnlyList<JobView>> ViewsAsync(PortalDbContext db, List<Job> rows, CancellationToken ct)
    {
        var deliveryIds = rows.Where(r => r.CallbackDeliveryId is not null).Select(r => r.CallbackDeliveryId!.Value).ToList();
        var states = await db.Deliveries.AsNoTracking().Where(d => deliveryIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.State, ct);
        var now = time.GetUtcNow().UtcDateTime;
        // A redelivery's row is not updated by a worker: its state is counted from its deliveries here, as on the deliveries page.
        var redeliveries = rows.Where(r => r.Kind == RedeliveryJobs.Kind).ToList();
        var counted = redeliveries.Count == 0 ? [] : (await RedeliveryJobs.ViewsAsync(db, redeliveries, now, ct)).ToDictionary(v => v.JobId);
        return rows.Select(j =>
        {
            var redelivery = counted.GetValueOrDefault(j.Id);
            return new JobView(j.Id, j.Kind, j.RequestedByName, redelivery?.Status ?? j.Status, redelivery?.Progress ?? j.Progress, j.CreatedUtc, j.StartedUtc,
                redelivery is null ? j.FinishedUtc : redelivery.Finished, j.Error,
                j.CallbackDeliveryId is { } d ? (states.TryGetValue(d, out var state) ? state.ToText() : null) : j.CallbackUrl is null ? null : "not sent",
                j.CallbackDeliveryId, j.DownloadKeyProtected is not null && j.DownloadExpiresUtc > now, redelivery is null ? j.Summary : redelivery.Summary);
        }).ToList();
    }
}
