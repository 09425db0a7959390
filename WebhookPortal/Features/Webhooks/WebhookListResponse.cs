namespace WebhookPortal.Features.Webhooks;

/// <summary>The mint webhooks API's list answer (docs/compatibility.md#mint-webhooks-api).</summary>
public sealed record WebhookListResponse(int TotalRecords, IReadOnlyList<WebhookView> Webhooks);
