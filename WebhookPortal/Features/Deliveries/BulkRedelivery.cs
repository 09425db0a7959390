namespace WebhookPortal.Features.Deliveries;

/// <summary>The deliveries to send again (<c>POST /api/deliveries/redeliver</c>).</summary>
public sealed record BulkRedeliveryRequest(List<Guid>? Ids);

/// <summary>
/// How many new deliveries a bulk redelivery or a recovery queued, and the job that follows them
/// (<c>GET /api/deliveries/redeliveries/{jobId}</c>): <c>running</c>, or <c>succeeded</c> at once when it queued none.
/// </summary>
public sealed record BulkRedeliveryResponse(int Count, Guid JobId, WebhookPortal.Features.Jobs.JobStatus Status);

/// <summary>Recover the webhook's failed messages since this time (<c>POST /api/webhooks/{id}/recover</c>).</summary>
public sealed record RecoverRequest(DateTime? Since);
