namespace WebhookPortal.Features.Deliveries;

/// <summary>What an attempt got back: an HTTP status, or no answer (timeout, connection error), or a refusal by the URL guard.</summary>
public sealed record AttemptOutcome(int? Status, string? Error, bool Blocked = false)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}
