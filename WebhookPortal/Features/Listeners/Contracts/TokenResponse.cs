namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A newly generated listener token: shown this once, stored only as a hash; until when the previous token is still accepted (null: it is not).</summary>
public sealed record TokenResponse(string Token, DateTime? PreviousTokenExpires = null);

/// <summary>How long the rotated-out token stays accepted (<c>hh:mm:ss</c>); absent = Listeners:TokenOverlap, <c>00:00:00</c> = not at all.</summary>
public sealed record RotateTokenRequest(string? Overlap);
