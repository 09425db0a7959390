namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// What an attempt got back: an HTTP status, or no answer (timeout, connection error), or a refusal by the URL guard;
/// with the receiver's <c>Retry-After</c> (as a delay from the answer) when a 429 or 503 carried one.
/// </summary>
public sealed record AttemptOutcome(int? Status, string? Error, bool Blocked = false, TimeSpan? RetryAfter = null)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}
