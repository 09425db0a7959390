namespace WebhookPortal.Features.Deliveries;

/// <summary>One attempt of a delivery, from its log entry.</summary>
public sealed record AttemptView(long LogId, int Attempt, DateTime Time, int Status, WebhookPortal.Features.Logs.LogState State, string? Error, long DurationMs);
