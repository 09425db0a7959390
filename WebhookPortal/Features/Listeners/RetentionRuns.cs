using System.Security.Claims;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Audit;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners;

/// <summary>Where a retention run stands, and what it deleted once it is done (<c>summary</c>).</summary>
public sealed record RetentionRunView(Guid Id, JobStatus Status, int Progress, string? Summary, string? Error, string? RequestedBy,
    DateTime Created, DateTime? Started, DateTime? Finished, RetentionRunLinks Links)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Active => Status is JobStatus.Queued or JobStatus.Running;

    public static RetentionRunView Of(Job job) => new(job.Id, job.Status, job.Progress, job.Summary, job.Error, job.RequestedByName,
        job.CreatedUtc, job.StartedUtc, job.FinishedUtc, new RetentionRunLinks(RetentionRuns.PathOf(job.Id)));
}

/// <summary>Where to read a run's state again.</summary>
public sealed record RetentionRunLinks(string Self);

/// <summary>
/// "Run retention now": a row in Jobs (kind <c>retention</c>) run by Hangfire (<see cref="RetentionRunJob"/>), so the page that
/// started it reads its progress and summary, also after a reload. Administrators only, checked here for pages and API alike.
/// </summary>
public sealed class RetentionRuns(IDbContextFactory<PortalDbContext> dbFactory, PortalCaller caller, IBackgroundJobClient jobs, TimeProvider time,
    IOptions<JobOptions> jobOptions, AuditActors? actors = null)
{
    public const string Kind = "retention";

    // Serializes starts on PostgreSQL (per database, released at commit). SQLite needs none: its transactions
    // begin IMMEDIATE, so the second start waits for the first one's commit and then sees its row.
    private const long StartLockKey = 0x5750_5245_5452_4E; // "WPRETRN"

    public static string PathOf(Guid id) => $"/api/maintenance/retention/runs/{id}";

    /// <summary>
    /// Queues a run. One run at a time: while one is queued or running, starting again answers that run (no double
    /// run, nothing new stored), so a double click or a second administrator simply watches the same progress.
    /// <c>Created</c> says whether this call queued a new run.
    /// </summary>
    public async Task<(RetentionRunView Run, bool Created)> StartAsync(CancellationToken ct = default)
    {
        var user = await caller.RequireAdminAsync("run retention");
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock({0})", [StartLockKey], ct);
        }

        var active = await db.Jobs.AsNoTracking().Where(j => j.Kind == Kind && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
            .OrderBy(j => j.CreatedUtc).FirstOrDefaultAsync(ct);
        if (active is not null)
        {
            await transaction.CommitAsync(ct);
            // A run whose worker died (its lease lapsed) or whose Hangfire job was lost (queued for longer than a lease)
            // would otherwise stand in the way of every start: hand it to Hangfire again. RetentionRunJob claims the row
            // atomically, so a second hand-over of a run that is in fact alive does nothing.
            var stale = now - jobOptions.Value.Lease;
            if ((active.Status == JobStatus.Running && (active.LeaseUntilUtc is null || active.LeaseUntilUtc < now)) || (active.Status == JobStatus.Queued && active.CreatedUtc < stale))
            {
                Enqueue(active.Id, null);
            }

            return (RetentionRunView.Of(active), false);
        }

        var job = new Job
        {
            Id = Guid.NewGuid(),
            Kind = Kind,
            RequestedById = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown",
            RequestedByName = user.Identity?.Name,
            CreatedUtc = now,
        };
        db.Jobs.Add(job);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);

        // Who asked, with their address, goes with the job into the audit entry the run writes.
        Enqueue(job.Id, actors is null ? AuditActor.Of(user, null) : await actors.CurrentAsync());
        return (RetentionRunView.Of(job), true);
    }

    public async Task<RetentionRunView> GetAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("read retention runs");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.Kind == Kind, ct)
            ?? throw new NotFoundException($"No retention run with id {id}.");
        return RetentionRunView.Of(job);
    }

    /// <summary>The newest run an administrator started (the scheduled runs are no jobs), or null when there was none.</summary>
    public async Task<RetentionRunView?> LatestAsync(CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("read retention runs");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().Where(j => j.Kind == Kind).OrderByDescending(j => j.CreatedUtc).ThenByDescending(j => j.Id).FirstOrDefaultAsync(ct);
        return job is null ? null : RetentionRunView.Of(job);
    }

    private void Enqueue(Guid id, AuditActor? requestedBy) => jobs.Enqueue<RetentionRunJob>(r => r.RunAsync(id, requestedBy, CancellationToken.None));
}
