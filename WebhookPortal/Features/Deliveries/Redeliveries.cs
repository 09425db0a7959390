using System.Globalization;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Jobs;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// A bulk redelivery's progress (<c>GET /api/deliveries/redeliveries/{jobId}</c>), counted from the deliveries it created:
/// <c>pending</c> includes held ones; <c>progress</c> is the finished share (delivered, failed or cancelled), in percent.
/// </summary>
public sealed record RedeliveryView(Guid JobId, int Total, int Delivered, int Failed, int Pending, int Cancelled, int Progress, JobStatus Status,
    string? Summary, string? RequestedBy, DateTime Created, DateTime? Finished)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Active => Status is JobStatus.Queued or JobStatus.Running;
}

/// <summary>
/// A bulk redelivery or recovery is a Jobs row (kind <c>redelivery</c>) and the deliveries stamped with its id. No worker
/// updates the row: its progress is counted from those deliveries when read, and the first read that finds them all
/// finished writes the final state (status, progress, summary) to the row.
/// </summary>
public static class RedeliveryJobs
{
    public const string Kind = "redelivery";

    public static string PathOf(Guid jobId) => $"/api/deliveries/redeliveries/{jobId}";

    /// <summary>The row of a bulk action that queued <paramref name="count"/> deliveries; one that queued none is done at once, with <paramref name="nothingSummary"/>.</summary>
    public static Job NewJob(ClaimsPrincipal user, DateTime now, int count, string nothingSummary) => new()
    {
        Id = Guid.NewGuid(),
        Kind = Kind,
        RequestedById = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown",
        RequestedByName = user.Identity?.Name,
        CreatedUtc = now,
        StartedUtc = now,
        Status = count == 0 ? JobStatus.Succeeded : JobStatus.Running,
        Progress = count == 0 ? 100 : 0,
        FinishedUtc = count == 0 ? now : null,
        Summary = count == 0 ? nothingSummary : null,
    };

    /// <summary>The redelivery jobs' views, their deliveries counted in one query; jobs found finished are written as such.</summary>
    public static async Task<IReadOnlyList<RedeliveryView>> ViewsAsync(PortalDbContext db, IReadOnlyList<Job> jobs, DateTime now, CancellationToken ct)
    {
        var ids = jobs.Select(j => j.Id).ToList();
        var rows = await db.Deliveries.AsNoTracking().Where(d => d.JobId != null && ids.Contains(d.JobId.Value))
            .GroupBy(d => new { d.JobId, d.State }).Select(g => new { g.Key.JobId, g.Key.State, Count = g.Count() }).ToListAsync(ct);
        var views = new List<RedeliveryView>(jobs.Count);
        foreach (var job in jobs)
        {
            int Of(params DeliveryState[] states) => rows.Where(r => r.JobId == job.Id && states.Contains(r.State)).Sum(r => r.Count);
            var delivered = Of(DeliveryState.Delivered);
            var failed = Of(DeliveryState.Failed);
            var cancelled = Of(DeliveryState.Cancelled);
            var pending = Of(DeliveryState.Pending, DeliveryState.Held);
            var total = delivered + failed + cancelled + pending;
            if (job.Status is JobStatus.Succeeded or JobStatus.Failed)
            {
                // Final: the row says how it ended (retention may since have deleted some of its deliveries).
                views.Add(new RedeliveryView(job.Id, total, delivered, failed, pending, cancelled, job.Progress, job.Status, job.Summary, job.RequestedByName, job.CreatedUtc, job.FinishedUtc));
                continue;
            }

            if (pending == 0)
            {
                var summary = Summary(total, delivered, failed, cancelled);
                // Only the first reader writes it; a concurrent one changes nothing.
                await db.Jobs.Where(j => j.Id == job.Id && j.Status != JobStatus.Succeeded).ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, JobStatus.Succeeded).SetProperty(j => j.Progress, 100).SetProperty(j => j.FinishedUtc, now)
                    .SetProperty(j => j.Summary, summary), ct);
                views.Add(new RedeliveryView(job.Id, total, delivered, failed, pending, cancelled, 100, JobStatus.Succeeded, summary, job.RequestedByName, job.CreatedUtc, now));
                continue;
            }

            var progress = 100 * (total - pending) / total;
            views.Add(new RedeliveryView(job.Id, total, delivered, failed, pending, cancelled, progress, JobStatus.Running, null, job.RequestedByName, job.CreatedUtc, null));
        }

        return views;
    }

    /// <summary>The sentence a finished redelivery shows: how many were sent again and how they ended.</summary>
    public static string Summary(int total, int delivered, int failed, int cancelled)
    {
        static string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
        var sentence = $"{N(total)} {(total == 1 ? "delivery" : "deliveries")} sent again: {N(delivered)} delivered, {N(failed)} failed";
        return sentence + (cancelled > 0 ? $", {N(cancelled)} cancelled." : ".");
    }
}
