using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Webhooks;

namespace WebhookPortal.Features.Events;

/// <summary>
/// A REST-hook subscription (docs/compatibility.md#rest-hooks): signed with the subscription's secret; a 410 Gone
/// answer unsubscribes it at once.
/// </summary>
public sealed class SubscriptionDeliveryTarget(SigningSecretCache secrets, ILogger<SubscriptionDeliveryTarget> logger) : IDeliveryTarget
{
    public DeliveryTargetKind Kind => DeliveryTargetKind.Subscription;

    public async Task<ResolvedTarget?> ResolveAsync(PortalDbContext db, Delivery delivery, CancellationToken ct)
    {
        var subscription = await db.Subscriptions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == delivery.TargetId, ct);
        return subscription is null ? null : new ResolvedTarget(delivery.TargetName, secrets.Reveal(subscription.ProtectedSecret), new Dictionary<string, string>());
    }

    public async Task<string?> AfterAttemptAsync(PortalDbContext db, Delivery delivery, AttemptOutcome outcome, CancellationToken ct)
    {
        if (outcome.Status != StatusCodes.Status410Gone)
        {
            return null;
        }

        // Removed with ExecuteDelete (no tracked entity): the removal is audited here, committing with the attempt.
        var subscription = await db.Subscriptions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == delivery.TargetId, ct);
        if (subscription is not null)
        {
            Audit.AuditLog.StageDeleted(db, [subscription], "The subscriber answered 410 Gone.");
        }

        await db.Subscriptions.Where(s => s.Id == delivery.TargetId).ExecuteDeleteAsync(ct);
        logger.LogInformation("Subscription {SubscriptionId} answered 410 Gone and was removed.", delivery.TargetId);
        return "The subscriber answered 410 Gone and was unsubscribed.";
    }
}
