namespace WebhookPortal.Features.Deliveries;

/// <summary>One attempt of a delivery, from its log entry: when, the answer, how long, why it failed and the start of the receiver's answer.</summary>
public sealed record AttemptView(long LogId, int Attempt, DateTime Time, int Status, WebhookPortal.Features.Logs.LogState State, string? Error, long DurationMs, string? ResponseExcerpt = null)
{
    /// <summary>Characters of the receiver's answer shown with each attempt (the whole kept body is in the log entry).</summary>
    public const int ExcerptLength = 300;
}
