namespace WebhookPortal.Features.Deliveries;

/// <summary>The deliveries to send again (<c>POST /api/deliveries/redeliver</c>).</summary>
public sealed record BulkRedeliveryRequest(List<Guid>? Ids);

/// <summary>How many new deliveries were queued by a bulk redelivery or a recovery.</summary>
public sealed record BulkRedeliveryResponse(int Count);

/// <summary>Recover the webhook's failed messages since this time (<c>POST /api/webhooks/{id}/recover</c>).</summary>
public sealed record RecoverRequest(DateTime? Since);
