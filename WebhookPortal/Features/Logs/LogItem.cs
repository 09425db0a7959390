namespace WebhookPortal.Features.Logs;

/// <summary>A log entry as a row of a list, without headers and bodies.</summary>
public sealed record LogItem(long Id, DateTime Time, LogDirection Direction, Guid? IntegrationId, string Name, string Method, string Path, int Status, LogState State, string? Error, long DurationMs, string? EventType = null,
    bool Duplicate = false, long? ReplayOfId = null, string? Note = null);
