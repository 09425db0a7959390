using WebhookPortal.Data;

namespace WebhookPortal.Features.Deliveries;

/// <summary>
/// One kind of receiver the delivery engine calls (a webhook, a REST-hook subscription, a job callback), registered
/// by the feature that owns it. <see cref="DeliveryWorker"/> asks the target of a delivery's
/// <see cref="Delivery.TargetKind"/> where and how to send, and tells it the outcome; it knows no target itself.
/// </summary>
public interface IDeliveryTarget
{
    /// <summary>The <see cref="Delivery.TargetKind"/> this target handles .</summary>
    DeliveryTargetKind Kind { get; }

    /// <summary>
    /// Before an attempt, after the worker's lease: whether the delivery may go now. A receiver that keeps failing lets
    /// one probe through and makes the rest wait; a disabled one holds them. Most targets let everything go.
    /// </summary>
    Task<Admission> AdmitAsync(PortalDbContext db, Delivery delivery, CancellationToken ct) => Task.FromResult(Admission.Go);

    /// <summary>
    /// After a Wait or Hold was saved: whether it still stands. A receiver whose probe succeeded (or a webhook enabled)
    /// between the admission and its save released its backlog while this delivery still held its lease, so the release
    /// passed it by; answering false has the worker release it again.
    /// </summary>
    Task<bool> AdmissionStandsAsync(PortalDbContext db, Delivery delivery, Admission admission, CancellationToken ct) => Task.FromResult(true);

    /// <summary>
    /// Targets of this kind that have held deliveries but no longer hold them (a webhook enabled while its release
    /// failed): the sweep releases them. Answered by the database, so no held target is missed however many there are.
    /// </summary>
    Task<IReadOnlyList<Guid>> NoLongerHoldingAsync(PortalDbContext db, CancellationToken ct) => Task.FromResult<IReadOnlyList<Guid>>([]);

    /// <summary>Where and how to send the delivery now; null when the target was disabled or deleted (the delivery is cancelled).</summary>
    Task<ResolvedTarget?> ResolveAsync(PortalDbContext db, Delivery delivery, CancellationToken ct);

    /// <summary>
    /// After an attempt, before the worker saves: what the target does with the outcome (e.g. a subscription
    /// answering 410 Gone is removed). Returns an error to record on the delivery and its attempt, or null.
    /// </summary>
    Task<string?> AfterAttemptAsync(PortalDbContext db, Delivery delivery, AttemptOutcome outcome, CancellationToken ct) => Task.FromResult<string?>(null);

    /// <summary>
    /// After what <see cref="AfterAttemptAsync"/> changed is committed with the attempt's record: what must not happen
    /// before the commit (a webhook disabled by a failure drops publish's in-memory routes; dropped before, a publish
    /// could read the webhook still enabled and keep that).
    /// </summary>
    void AfterCommit(Delivery delivery)
    {
    }
}
