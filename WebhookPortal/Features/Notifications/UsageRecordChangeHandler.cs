using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners.Receiver;

namespace WebhookPortal.Features.Notifications;

/// <summary>Every accepted listener request counts towards the notification rules; a crossed threshold stages its delivery in the writer's transaction.</summary>
public sealed class UsageRecordChangeHandler(UsageMeter meter, DeliveryOutbox outbox) : IRecordChangeHandler
{
    private readonly List<Delivery> staged = [];

    public async Task OnAcceptedAsync(AcceptedRequest accepted, CancellationToken ct) =>
        staged.AddRange(await meter.CountAsync(accepted.IntegrationId, accepted.ListenerId, accepted.TimeUtc, ct));

    public void AfterCommit()
    {
        outbox.Dispatch(staged);
        staged.Clear();
    }
}
