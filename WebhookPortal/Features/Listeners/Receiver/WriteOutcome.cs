namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>The outcome of one item: an HTTP status and the JSON answer; a failure rolls back the item's changes.</summary>
public sealed record WriteOutcome(int Status, object Body, string? Error)
{
    public bool Succeeded => Status is >= 200 and < 300;
}
