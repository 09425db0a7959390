namespace WebhookPortal.Features.Deliveries;

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
