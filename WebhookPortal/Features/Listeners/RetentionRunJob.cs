using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Audit;
using WebhookPortal.Features.Jobs;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// Runs a retention run an administrator started (<see cref="RetentionRuns"/>): claims its Jobs row, writes the progress
/// the retention reports and, at the end, the counts as the row's summary (or the error).
/// </summary>
public sealed class RetentionRunJob(PortalDbContext db, RetentionService retention, TimeProvider time, IOptions<JobOptions> options,
    IBackgroundJobClient jobClient, ILogger<RetentionRunJob> logger)
{
    /// <summary>
    /// <paramref name="requestedBy"/> is who asked, as the start saw them (with their address); a run re-queued at start-up
    /// has none and names the requester from the row.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(Guid jobId, AuditActor? requestedBy, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var lease = now + options.Value.Lease;
        // Queued, or running with a lapsed lease (its portal died): one runner at a time, across portals.
        var claimed = await db.Jobs
            .Where(j => j.Id == jobId && j.Kind == RetentionRuns.Kind
                && (j.Status == JobStatus.Queued || (j.Status == JobStatus.Running && (j.LeaseUntilUtc == null || j.LeaseUntilUtc < now))))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Running).SetProperty(j => j.StartedUtc, now).SetProperty(j => j.Progress, 0)
                .SetProperty(j => j.LeaseUntilUtc, lease), ct);
        if (claimed == 0)
        {
            // Another run holds it: look again when its lease ends, in case that run dies.
            var heldUntil = await db.Jobs.Where(j => j.Id == jobId && j.Status == JobStatus.Running).Select(j => j.LeaseUntilUtc).SingleOrDefaultAsync(ct);
            if (heldUntil is { } until)
            {
                jobClient.Schedule<RetentionRunJob>(r => r.RunAsync(jobId, requestedBy, CancellationToken.None), until - now + TimeSpan.FromSeconds(1));
            }

            return;
        }

        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId, ct);
        var actor = requestedBy ?? new AuditActor(AuditActorKinds.User, job.RequestedById, job.RequestedByName, null);
        try
        {
            var report = await retention.RunRequestedAsync(jobId, actor, progress => ProgressAsync(jobId, progress, ct), ct);
            await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Succeeded).SetProperty(j => j.Progress, 100).SetProperty(j => j.Summary, report.Summary(2000))
                .SetProperty(j => j.FinishedUtc, time.GetUtcNow().UtcDateTime).SetProperty(j => j.LeaseUntilUtc, (DateTime?)null), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // What was deleted before the failure stays deleted (each batch commits); the page shows the error and the
            // next run, scheduled or started, carries on from there.
            logger.LogError(ex, "Retention run {JobId} failed.", jobId);
            var error = ex.Message.Length > 2000 ? ex.Message[..2000] : ex.Message;
            await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Failed).SetProperty(j => j.Error, error).SetProperty(j => j.FinishedUtc, time.GetUtcNow().UtcDateTime)
                .SetProperty(j => j.LeaseUntilUtc, (DateTime?)null), CancellationToken.None);
        }
    }

    // Each step renews the lease, so only a run that stopped making progress can be taken over.
    private async Task ProgressAsync(Guid jobId, int progress, CancellationToken ct)
    {
        var lease = time.GetUtcNow().UtcDateTime + options.Value.Lease;
        await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.Progress, Math.Clamp(progress, 0, 99)).SetProperty(j => j.LeaseUntilUtc, lease), ct);
    }
}
