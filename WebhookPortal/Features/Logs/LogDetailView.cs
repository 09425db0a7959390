using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Features.Logs;

/// <summary>One log entry whole: its headers (secrets already masked when stored) and bodies.</summary>
/// <param name="NotReplayableReason">For an inbound entry: why Replay cannot work (refused before authentication, body not stored whole), or null.</param>
/// <param name="NotASampleReason">For an inbound entry: why its body cannot be the sample of Generate Tables (none logged, cut at the log's limit, not JSON), or null.</param>
/// <param name="DeliveryState">For an outbound attempt: where its delivery stands now (pending → retry now, finished → redeliver); null when the delivery is gone.</param>
public sealed record LogDetailView(
    long Id, DateTime Time, LogDirection Direction, Guid? IntegrationId, Guid? SourceId, string Name, string Method, string Path, int Status, LogState State, string? Error, long DurationMs,
    IReadOnlyDictionary<string, string>? RequestHeaders, string? RequestBody, IReadOnlyDictionary<string, string>? ResponseHeaders, string? ResponseBody,
    Guid? DeliveryId = null, int? Attempt = null, string? NotReplayableReason = null, DeliveryState? DeliveryState = null, string? NotASampleReason = null)
{
    public bool Duplicate { get; init; }

    public long? ReplayOfId { get; init; }

    public string? Note { get; init; }
}
