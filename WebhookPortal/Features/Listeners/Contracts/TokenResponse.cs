namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A newly generated listener token: shown this once, stored only as a hash.</summary>
public sealed record TokenResponse(string Token);
