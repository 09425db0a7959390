namespace WebhookPortal.Features.Deliveries;

public enum AttemptVerdict
{
    Delivered,
    Retry,
    Failed,
}
