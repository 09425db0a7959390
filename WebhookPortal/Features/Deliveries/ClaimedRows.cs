namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// What a claimed delivery's attempt reads (the delivery with its message, and its webhook when the target is one),
/// read with the claim of the share it came in (<see cref="AttemptRecorder.ClaimAndReadAsync"/>), untracked.
/// <paramref name="ReadAtUtc"/> is the claim's time: the worker uses the rows only while they are that recent
/// (<see cref="DeliveryWorker.ClaimedRowsFreshness"/>), and reads them again otherwise.
/// </summary>
public sealed record ClaimedRows(Delivery Delivery, Webhooks.Webhook? Webhook, DateTime ReadAtUtc);
