namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A row of the listeners page: the listener, its integration, its last request and how many records it holds.</summary>
public sealed record ListenerOverview(ListenerView Listener, string IntegrationName, DateTime? LastRequestTime, int? LastRequestStatus, WebhookPortal.Features.Logs.LogState? LastRequestState, long RecordCount);
