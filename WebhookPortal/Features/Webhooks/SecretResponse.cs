namespace WebhookPortal.Features.Webhooks;

/// <summary>
/// A signing secret, shown once after creation or rotation, or revealed to an administrator; after a rotation,
/// when the previous secret stops signing (null: it already has).
/// </summary>
public sealed record SecretResponse(string Secret, DateTime? PreviousSecretExpires = null);

/// <summary>How long the rotated-out secret keeps signing (<c>hh:mm:ss</c>); absent = Delivery:SecretOverlap, <c>00:00:00</c> = not at all.</summary>
public sealed record RotateSecretRequest(string? Overlap);
