using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Configuration;

namespace WebhookPortal.Features.Jobs;

/// <summary>
/// Deletes job files once their download has expired (a Hangfire recurring job): the file holds every
/// listener's records, so it must not outlive the link that was its only way out. The same run deletes what would
/// otherwise grow without end: expired job tokens, finished jobs older than <see cref="JobOptions.Retention"/>, and
/// files in the jobs folder that no job points at (a run that died while writing) once older than a download lifetime.
/// </summary>
public sealed class JobFileCleanup(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, IOptions<JobOptions> options, OperatorDirectory operatorDirectory, ILogger<JobFileCleanup> logger)
{
    public const string RecurringJobId = "job-file-cleanup";

    /// <summary>Rows deleted per statement: short transactions that never hold the writer up.</summary>
    public const int BatchSize = 500;

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

        var tokens = await DeleteInBatchesAsync(() => db.JobTokens.Where(t => t.ExpiresUtc <= now).OrderBy(t => t.ExpiresUtc).Select(t => t.Id).Take(BatchSize).ToListAsync(ct),
            ids => db.JobTokens.Where(t => ids.Contains(t.Id)).ExecuteDeleteAsync(ct));
        var before = now - options.Value.Retention;
        var jobs = await DeleteInBatchesAsync(async () =>
            {
                var old = await db.Jobs.AsNoTracking()
                    .Where(j => (j.Status == JobStatus.Succeeded || j.Status == JobStatus.Failed) && j.FinishedUtc != null && j.FinishedUtc <= before)
                    .OrderBy(j => j.FinishedUtc).Select(j => new { j.Id, j.FilePath }).Take(BatchSize).ToListAsync(ct);
                foreach (var file in old.Where(j => j.FilePath is not null && File.Exists(j.FilePath)))
                {
                    File.Delete(file.FilePath!);
                }

                return old.Select(j => j.Id).ToList();
            },
            ids => db.Jobs.Where(j => ids.Contains(j.Id)).ExecuteDeleteAsync(ct));
        var orphans = await DeleteOrphanFilesAsync(db, now, ct);
        if (tokens + jobs + orphans > 0)
        {
            logger.LogInformation("Deleted {Tokens} expired job tokens, {Jobs} jobs finished before {Before:u} and {Orphans} job files no job points at.", tokens, jobs, before, orphans);
        }

        return expired.Count;
    }

    private static async Task<int> DeleteInBatchesAsync(Func<Task<List<Guid>>> next, Func<List<Guid>, Task<int>> delete)
    {
        var total = 0;
        while (await next() is { Count: > 0 } ids)
        {
            total += await delete(ids);
            if (ids.Count < BatchSize)
            {
                break;
            }
        }

        return total;
    }

    /// <summary>Files in the jobs folder that no job row names, older than a download lifetime (never one being written).</summary>
    private async Task<int> DeleteOrphanFilesAsync(PortalDbContext db, DateTime now, CancellationToken ct)
    {
        var folder = operatorDirectory.Resolve(options.Value.Directory);
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        var known = (await db.Jobs.AsNoTracking().Where(j => j.FilePath != null).Select(j => j.FilePath!).ToListAsync(ct))
            .Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (!known.Contains(Path.GetFullPath(file)) && File.GetLastWriteTimeUtc(file) <= now - options.Value.DownloadLifetime)
            {
                File.Delete(file);
                deleted++;
            }
        }

        return deleted;
    }
}
