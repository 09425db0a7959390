namespace WebhookPortal.Features.PortalEvents;

/// <summary>A portal event as pages and the API show it.</summary>
public sealed record PortalEventView(Guid Id, DateTime Time, string Type, Guid IntegrationId, string? IntegrationName, Guid? WebhookId, string Subject, string Reason, Guid? MessageId);
