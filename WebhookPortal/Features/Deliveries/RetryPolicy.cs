namespace WebhookPortal.Features.Deliveries;

public enum AttemptVerdict
{
    Delivered,
    Retry,
    Failed,
}

/// <summary>What an attempt got back: an HTTP status, or no answer (timeout, connection error), or a refusal by the URL guard.</summary>
public sealed record AttemptOutcome(int? Status, string? Error, bool Blocked = false)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>
/// The mint webhooks API's policy (docs/compatibility.md#mint-webhooks-api): 2xx delivered; 5xx, timeout or connection error retried up to MaxRetries times,
/// RetryInterval apart; anything else (and a guarded URL) failed at once. Pure.
/// </summary>
public static class RetryPolicy
{
    public static (AttemptVerdict Verdict, DateTime? NextAttemptUtc) Decide(AttemptOutcome outcome, int attemptNumber, int maxRetries, TimeSpan interval, DateTime nowUtc)
    {
        if (outcome.IsSuccess)
        {
            return (AttemptVerdict.Delivered, null);
        }

        var retryable = !outcome.Blocked && (outcome.Status is null || outcome.Status is >= 500 and <= 599);
        if (retryable && attemptNumber <= maxRetries)
        {
            return (AttemptVerdict.Retry, nowUtc + interval);
        }

        return (AttemptVerdict.Failed, null);
    }
}
