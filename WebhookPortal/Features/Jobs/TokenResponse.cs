namespace WebhookPortal.Features.Jobs;

/// <summary>A short-lived job token and when it expires.</summary>
public sealed record TokenResponse(string Token, DateTime ExpiresAt);
