namespace WebhookPortal.Features.Logs;

/// <summary>A log entry as a row of a list, without headers and bodies.</summary>
public sealed record LogItem(long Id, DateTime Time, string Direction, Guid? IntegrationId, string Name, string Method, string Path, int Status, string State, string? Error, long DurationMs);
