namespace WebhookPortal.Features.Webhooks;

/// <summary>How a webhook is doing: <c>healthy</c>, <c>failing</c> (every attempt since <see cref="Since"/> failed) or <c>disabled</c> (why and by whom in <see cref="Reason"/>).</summary>
public sealed record WebhookHealth(string State, DateTime? Since, string? Reason)
{
    public const string Healthy = "healthy";
    public const string Failing = "failing";
    public const string Disabled = "disabled";
}
