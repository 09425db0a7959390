namespace WebhookPortal.Features.Listeners.Replays;

/// <summary>
/// <c>POST /api/listeners/{id}/replay</c>: the listener's logged requests received in [<c>from</c>, <c>to</c>)
/// (<c>to</c> left out: now) with <c>state</c> <c>error</c> (the default), <c>success</c> or <c>all</c>.
/// </summary>
public sealed record BulkReplayRequest(DateTime? From, DateTime? To, string? State);

/// <summary>The answer to a started bulk replay: how many requests it will run, and how many in the range it cannot (refused before authentication, body not kept whole, handshakes).</summary>
public sealed record BulkReplayStarted(Guid Id, int Count, int Skipped, BulkReplayStatus Status);

/// <summary>A bulk replay's progress and, once finished, its summary.</summary>
public sealed record BulkReplayView(
    Guid Id, Guid ListenerId, DateTime From, DateTime To, string State, BulkReplayStatus Status,
    int Total, int Processed, int Succeeded, int Failed, string RequestedBy, DateTime Created, DateTime? Finished, string? Error)
{
    public static BulkReplayView Of(BulkReplay r) => new(
        r.Id, r.ListenerId, r.FromUtc, r.ToUtc, r.State, r.Status, r.Total, r.Processed, r.Succeeded, r.Failed, r.RequestedBy, r.CreatedUtc, r.FinishedUtc, r.Error);
}
