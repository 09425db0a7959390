using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <param name="Changes">The root-record changes, when the listener tracks them (an event type listens); otherwise empty.</param>
public sealed record AcceptedRequest(Guid IntegrationId, Guid ListenerId, DateTime TimeUtc, IReadOnlyList<RecordChange> Changes);
