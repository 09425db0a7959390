namespace WebhookPortal.Features.Webhooks;

/// <summary>The stored message's id (202 Accepted: the deliveries are attempted afterwards).</summary>
public sealed record PublishResponse(Guid Id);
