using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners.Replays;

/// <summary>
/// Bulk replay: a listener's logged requests in a time range run again, as a Hangfire job whose progress lives in
/// <see cref="BulkReplay"/>. Each replayed request becomes a new log entry linked to its original.
/// </summary>
public sealed class BulkReplays(
    IDbContextFactory<PortalDbContext> dbFactory, PortalCaller caller, IBackgroundJobClient jobs, TimeProvider time,
    IOptions<LogOptions> logOptions, LogActions actions, ILogger<BulkReplays> logger)
{
    public const string SweepJobId = "bulk-replay-sweep";

    /// <summary>A running replay renews this lease with each entry; one older is taken over (its portal stopped).</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private const int BatchSize = 50;
    private static readonly string[] States = ["error", "success", "all"];

    public async Task<BulkReplayStarted> StartAsync(Guid listenerId, BulkReplayRequest input, CancellationToken ct = default)
    {
        var user = await caller.RequireDeliveryActionAsync("replay requests");
        var now = time.GetUtcNow().UtcDateTime;
        var state = (input.State ?? "error").Trim().ToLowerInvariant();
        var errors = new Dictionary<string, string[]>();
        if (input.From is null)
        {
            errors["from"] = ["from is required: the start of the time range (UTC)."];
        }

        var from = input.From?.ToUniversalTime() ?? default;
        var to = input.To?.ToUniversalTime() ?? now;
        if (input.From is not null && from >= to)
        {
            errors["to"] = ["to must be after from."];
        }

        if (!States.Contains(state))
        {
            errors["state"] = ["state is error, success or all."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var listener = await db.Listeners.AsNoTracking().FirstOrDefaultAsync(l => l.Id == listenerId, ct) ?? throw new NotFoundException($"No listener with id {listenerId}.");
        if (!listener.Enabled)
        {
            throw new ConflictException("The listener is disabled; enable it to replay its requests.");
        }

        var inRange = InRange(db, listenerId, from, to, state);
        var inRangeCount = await inRange.CountAsync(ct);
        var maxEntryId = await db.LogEntries.MaxAsync(e => (long?)e.Id, ct) ?? 0;
        var replay = new BulkReplay
        {
            Id = Guid.NewGuid(),
            ListenerId = listenerId,
            FromUtc = from,
            ToUtc = to,
            State = state,
            Total = await Replayable(inRange, logOptions.Value.MaxBodyChars).CountAsync(ct),
            MaxEntryId = maxEntryId,
            RequestedBy = user.Identity?.Name ?? "unknown",
            CreatedUtc = now,
            UpdatedUtc = now,
        };
        replay.Status = replay.Total == 0 ? BulkReplayStatus.Completed : BulkReplayStatus.Queued;
        replay.FinishedUtc = replay.Total == 0 ? now : null;
        db.BulkReplays.Add(replay);
        await db.SaveChangesAsync(ct);
        if (replay.Total > 0)
        {
            // Recorded first: if this enqueue is lost, the sweep starts it.
            jobs.Enqueue<BulkReplays>(r => r.RunAsync(replay.Id, CancellationToken.None));
        }

        return new BulkReplayStarted(replay.Id, replay.Total, inRangeCount - replay.Total, replay.Status);
    }

    public async Task<BulkReplayView> GetAsync(Guid listenerId, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var replay = await db.BulkReplays.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.ListenerId == listenerId, ct)
            ?? throw new NotFoundException($"No bulk replay {id} of listener {listenerId}.");
        return BulkReplayView.Of(replay);
    }

    /// <summary>The listener's latest bulk replays, newest first (the page shows them after a reload).</summary>
    public async Task<IReadOnlyList<BulkReplayView>> ListAsync(Guid listenerId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Listeners.AnyAsync(l => l.Id == listenerId, ct))
        {
            throw new NotFoundException($"No listener with id {listenerId}.");
        }

        var rows = await db.BulkReplays.AsNoTracking().Where(r => r.ListenerId == listenerId).OrderByDescending(r => r.CreatedUtc).Take(20).ToListAsync(ct);
        return rows.Select(BulkReplayView.Of).ToList();
    }

    /// <summary>The job: replays the entries after <see cref="BulkReplay.LastEntryId"/> in id order, recording progress as it goes.</summary>
    [AutomaticRetry(Attempts = 3)]
    public async Task RunAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await ClaimAsync(db, id, ct))
        {
            return;
        }

        var replay = await db.BulkReplays.FirstAsync(r => r.Id == id, ct);
        try
        {
            while (true)
            {
                var batch = await Replayable(InRange(db, replay.ListenerId, replay.FromUtc, replay.ToUtc, replay.State), logOptions.Value.MaxBodyChars)
                    .Where(e => e.Id > replay.LastEntryId && e.Id <= replay.MaxEntryId)
                    .OrderBy(e => e.Id).Take(BatchSize).AsNoTracking().ToListAsync(ct);
                if (batch.Count == 0)
                {
                    break;
                }

                foreach (var entry in batch)
                {
                    var outcome = await actions.ReplayEntryAsync(entry, replay.RequestedBy + " (bulk replay)", ct);
                    replay.Processed++;
                    if (outcome.Succeeded)
                    {
                        replay.Succeeded++;
                    }
                    else
                    {
                        replay.Failed++;
                    }

                    replay.LastEntryId = entry.Id;
                    replay.UpdatedUtc = time.GetUtcNow().UtcDateTime;
                    await db.SaveChangesAsync(ct);
                }
            }

            replay.Status = BulkReplayStatus.Completed;
        }
        catch (ConflictException ex)
        {
            // The listener was disabled or deleted meanwhile: nothing more can be replayed.
            replay.Status = BulkReplayStatus.Failed;
            replay.Error = ex.Message;
        }

        replay.FinishedUtc = replay.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Bulk replay {ReplayId} of listener {ListenerId} ended {Status}: {Succeeded} succeeded, {Failed} failed of {Total}.",
            replay.Id, replay.ListenerId, replay.Status, replay.Succeeded, replay.Failed, replay.Total);
    }

    /// <summary>Minutely: starts replays whose job was lost (a restart with in-memory Hangfire storage, a stopped portal).</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task SweepAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stale = time.GetUtcNow().UtcDateTime - Lease;
        var ids = await db.BulkReplays.Where(r => (r.Status == BulkReplayStatus.Queued || r.Status == BulkReplayStatus.Running) && r.UpdatedUtc < stale)
            .Select(r => r.Id).ToListAsync(ct);
        foreach (var id in ids)
        {
            jobs.Enqueue<BulkReplays>(r => r.RunAsync(id, CancellationToken.None));
        }
    }

    /// <summary>Takes the replay for this run: queued, or running with a lapsed lease. One runner at a time, across portals.</summary>
    private async Task<bool> ClaimAsync(PortalDbContext db, Guid id, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var stale = now - Lease;
        return await db.BulkReplays
            .Where(r => r.Id == id && (r.Status == BulkReplayStatus.Queued || (r.Status == BulkReplayStatus.Running && r.UpdatedUtc < stale)))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, BulkReplayStatus.Running).SetProperty(r => r.UpdatedUtc, now), ct) == 1;
    }

    private static IQueryable<LogEntry> InRange(PortalDbContext db, Guid listenerId, DateTime from, DateTime to, string state)
    {
        var query = db.LogEntries.Where(e => e.Direction == LogDirection.Inbound && e.SourceId == listenerId && e.TimeUtc >= from && e.TimeUtc < to);
        return state switch
        {
            "error" => query.Where(e => e.State == LogState.Error),
            "success" => query.Where(e => e.State == LogState.Success),
            _ => query,
        };
    }

    /// <summary>What <see cref="LogActions.NotReplayableReason"/> allows, as a query.</summary>
    private static IQueryable<LogEntry> Replayable(IQueryable<LogEntry> entries, int maxBodyChars) =>
        entries.Where(e => e.Status != 0 && e.Status != 401 && e.Status != 403 && e.Status != 405 && e.Method != "GET"
            && (e.Note == null || !e.Note.StartsWith("Handshake"))
            && (e.Method == "DELETE" || (e.RequestBody != null && e.RequestBody.Length < maxBodyChars)));
}
