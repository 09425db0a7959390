using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Features.Webhooks;

/// <summary>
/// A webhook: its current URL, signing secret, custom headers and retry schedule; a disabled or deleted webhook gets
/// nothing. After each attempt it keeps the webhook's health: a success makes it healthy, a failure makes it failing
/// (since then), 410 Gone disables it at once and only failures for Delivery:DisableAfter disable it.
/// </summary>
public sealed class WebhookDeliveryTarget(IDataProtectionProvider protection, IOptions<DeliveryOptions> options, TimeProvider time) : IDeliveryTarget
{
    public DeliveryTargetKind Kind => DeliveryTargetKind.Webhook;

    public async Task<ResolvedTarget?> ResolveAsync(PortalDbContext db, Delivery delivery, CancellationToken ct)
    {
        var webhook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == delivery.TargetId, ct);
        if (webhook is null || !webhook.Enabled)
        {
            return null;
        }

        // The webhook's URL may have changed since the delivery was staged: send (and record) the current one.
        delivery.Url = webhook.PostUrl;
        var previous = webhook.PreviousProtectedSecret is not null && webhook.PreviousSecretExpiresUtc > time.GetUtcNow().UtcDateTime
            ? WebhookSecrets.Unprotect(protection, webhook.PreviousProtectedSecret)
            : null;
        return new ResolvedTarget(webhook.Name, WebhookSecrets.Unprotect(protection, webhook.ProtectedSecret), webhook.Headers, RetrySchedule: webhook.RetrySchedule, PreviousSecret: previous);
    }

    public async Task<string?> AfterAttemptAsync(PortalDbContext db, Delivery delivery, AttemptOutcome outcome, CancellationToken ct)
    {
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == delivery.TargetId, ct);
        if (webhook is null)
        {
            return null;
        }

        if (outcome.IsSuccess)
        {
            webhook.FailingSinceUtc = null;
            return null;
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (outcome.Status == 410)
        {
            // Standard Webhooks: 410 Gone means "stop sending"; the rest of its deliveries are cancelled when their turn comes.
            webhook.Disable(now, "The receiver answered 410 Gone.", Webhook.DisabledByGone);
            return "The receiver answered 410 Gone: the webhook was disabled.";
        }

        webhook.FailingSinceUtc ??= now;
        var disableAfter = options.Value.DisableAfter;
        if (webhook.Enabled && now - webhook.FailingSinceUtc.Value >= disableAfter)
        {
            webhook.Disable(now, $"Every attempt failed for {RetrySchedule.Words(disableAfter)} (since {webhook.FailingSinceUtc:yyyy-MM-dd HH:mm} UTC; Delivery:DisableAfter).", Webhook.DisabledByFailureRule);
            return (outcome.Error is null ? "" : outcome.Error + " ") + "The webhook was disabled: it has only failed for " + RetrySchedule.Words(disableAfter) + ".";
        }

        return null;
    }
}
