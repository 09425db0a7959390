using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners.Receiver;

namespace WebhookPortal.Features.Events;

/// <summary>Record changes fire the event types that watch their listener; the deliveries (or scripted events) are staged in the writer's transaction.</summary>
public sealed class EventTriggerRecordChangeHandler(EventTrigger events, DeliveryOutbox outbox) : IRecordChangeHandler
{
    private readonly List<Delivery> staged = [];

    public async Task OnAcceptedAsync(AcceptedRequest accepted, CancellationToken ct) =>
        staged.AddRange(await events.StageAsync(accepted.IntegrationId, accepted.ListenerId, accepted.Changes, ct));

    public void AfterCommit()
    {
        outbox.Dispatch(staged);
        staged.Clear();
        events.DispatchPending();
    }
}
