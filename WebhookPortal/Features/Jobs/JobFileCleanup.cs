using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;

namespace WebhookPortal.Features.Jobs;

/// <summary>
/// Deletes job files once their download has expired (a Hangfire recurring job): the file holds every
/// listener's records, so it must not outlive the link that was its only way out.
/// </summary>
public sealed class JobFileCleanup(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, ILogger<JobFileCleanup> logger)
{
    public const string RecurringJobId = "job-file-cleanup";

    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var expired = await db.Jobs.Where(j => j.FilePath != null && j.DownloadExpiresUtc != null && j.DownloadExpiresUtc <= now).ToListAsync(ct);
        foreach (var job in expired)
        {
            if (File.Exists(job.FilePath))
            {
                File.Delete(job.FilePath);
            }

            // The row stays as history; nothing points at a file any more.
            job.FilePath = null;
            job.DownloadKeyProtected = null;
        }

        await db.SaveChangesAsync(ct);
        if (expired.Count > 0)
        {
            logger.LogInformation("Deleted {Count} expired job files.", expired.Count);
        }

        return expired.Count;
    }
}
