namespace WebhookPortal.Features.Webhooks;

/// <summary>A signing secret, shown once after creation or rotation, or revealed to an administrator.</summary>
public sealed record SecretResponse(string Secret);
