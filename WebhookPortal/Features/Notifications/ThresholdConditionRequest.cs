namespace WebhookPortal.Features.Notifications;

/// <summary>A condition as sent: From/To/Step, or the <c>usageTarget</c> expression of docs/compatibility.md#mint-webhooks-api.</summary>
public sealed record ThresholdConditionRequest(decimal? From, decimal? To, decimal? Step, string? UsageTarget);
