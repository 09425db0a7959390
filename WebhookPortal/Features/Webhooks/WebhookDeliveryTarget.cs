using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Features.Webhooks;

/// <summary>A webhook: its current URL, signing secret and custom headers; a disabled or deleted webhook gets nothing.</summary>
public sealed class WebhookDeliveryTarget(IDataProtectionProvider protection) : IDeliveryTarget
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
        return new ResolvedTarget(webhook.Name, WebhookSecrets.Unprotect(protection, webhook.ProtectedSecret), webhook.Headers);
    }
}
