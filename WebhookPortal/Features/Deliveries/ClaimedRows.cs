namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// What a claimed delivery's attempt reads (the delivery with its message, and its webhook when the target is one),
/// read with the claim of the share it came in (<see cref="AttemptRecorder.ClaimAndReadAsync"/>), untracked.
/// <paramref name="ReadAtUtc"/> is the claim's time: the worker uses the rows only while they are that recent
/// (<see cref="DeliveryWorker.ClaimedRowsFreshness"/>), for a webhook that was healthy when read, and while no attempt
/// of the same share has failed (<see cref="ClaimedShare"/>); otherwise it reads them again.
/// </summary>
public sealed record ClaimedRows(Delivery Delivery, Webhooks.Webhook? Webhook, DateTime ReadAtUtc, ClaimedShare Share);

/// <summary>
/// The rows of one claim, as its attempts go: once one of them fails or is kept back, the target's state the claim read
/// (a webhook's failing or disabled state, its probe time) may have changed, so the share's later attempts read again.
/// </summary>
public sealed class ClaimedShare
{
    private volatile bool targetMayHaveChanged;

    public bool TargetMayHaveChanged => targetMayHaveChanged;

    public void MarkTargetMayHaveChanged() => targetMayHaveChanged = true;
}
