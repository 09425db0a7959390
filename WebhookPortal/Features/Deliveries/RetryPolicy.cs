namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// What follows an attempt, by a <see cref="RetrySchedule"/>: 2xx delivered; 5xx, timeouts and connection errors (and
/// 408/429 where the schedule says so) retried while the schedule has delays left; anything else, a guarded URL and
/// 410 Gone failed at once. A 429 or 503 with <c>Retry-After</c> moves the next attempt to the receiver's time, at most
/// <c>maxRetryAfter</c> away, where the schedule honours it. Pure.
/// </summary>
public static class RetryPolicy
{
    /// <summary>The seed's policy (docs/compatibility.md#mint-webhooks-api): <paramref name="maxRetries"/> retries <paramref name="interval"/> apart.</summary>
    public static (AttemptVerdict Verdict, DateTime? NextAttemptUtc) Decide(AttemptOutcome outcome, int attemptNumber, int maxRetries, TimeSpan interval, DateTime nowUtc) =>
        Decide(outcome, attemptNumber, RetrySchedule.Seed(maxRetries, interval), nowUtc);

    /// <param name="attemptNumber">The attempt just made, 1 for the first.</param>
    /// <param name="jitterSample">A random number in [-1, 1] for the schedule's jitter.</param>
    public static (AttemptVerdict Verdict, DateTime? NextAttemptUtc) Decide(
        AttemptOutcome outcome, int attemptNumber, RetrySchedule schedule, DateTime nowUtc, double jitterSample = 0, TimeSpan? maxRetryAfter = null)
    {
        if (outcome.IsSuccess)
        {
            return (AttemptVerdict.Delivered, null);
        }

        if (!IsRetryable(outcome, schedule) || attemptNumber > schedule.Delays.Count)
        {
            return (AttemptVerdict.Failed, null);
        }

        var delay = schedule.DelayBefore(attemptNumber, jitterSample);
        if (schedule.HonoursRetryAfter && outcome.Status is 429 or 503 && outcome.RetryAfter is { } wanted)
        {
            var limit = maxRetryAfter ?? TimeSpan.FromDays(1);
            delay = wanted < TimeSpan.Zero ? TimeSpan.Zero : wanted > limit ? limit : wanted;
        }

        return (AttemptVerdict.Retry, nowUtc + delay);
    }

    public static bool IsRetryable(AttemptOutcome outcome, RetrySchedule schedule) =>
        !outcome.Blocked && (outcome.Status is null or (>= 500 and <= 599) || (schedule.RetriesThrottling && outcome.Status is 408 or 429));
}
