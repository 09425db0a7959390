namespace WebhookPortal.Features.Logs;

/// <summary>One log entry whole: its headers (secrets already masked when stored) and bodies.</summary>
public sealed record LogDetailView(
    long Id, DateTime Time, LogDirection Direction, Guid? IntegrationId, Guid? SourceId, string Name, string Method, string Path, int Status, LogState State, string? Error, long DurationMs,
    IReadOnlyDictionary<string, string>? RequestHeaders, string? RequestBody, IReadOnlyDictionary<string, string>? ResponseHeaders, string? ResponseBody,
    Guid? DeliveryId = null, int? Attempt = null)
{
    /// <summary>Why Replay is not offered for this inbound entry (a refused, unauthenticated request), or null.</summary>
    public string? NotReplayableReason => Direction == LogDirection.Inbound ? LogActions.NotReplayableReason(Direction, Status) : null;
}
