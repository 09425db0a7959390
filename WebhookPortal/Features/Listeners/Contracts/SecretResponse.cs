namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A listener's new signing secret: shown this once; until when the previous one is still accepted (null: it is not).</summary>
public sealed record SecretResponse(string Secret, DateTime? PreviousSecretExpires = null);

/// <summary>
/// <c>secret</c>: the sender's secret to use (Stripe and Slack make their own), or left out to generate one;
/// <c>overlap</c>: how long the previous secret stays valid (<c>hh:mm:ss</c>; absent = Listeners:TokenOverlap).
/// </summary>
public sealed record RotateSecretRequest(string? Secret, string? Overlap);
