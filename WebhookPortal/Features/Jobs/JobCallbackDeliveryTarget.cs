using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Features.Jobs;

/// <summary>
/// A finished job's callback (docs/compatibility.md#async-jobs): an unsigned GET to the caller's URL with the claim
/// secret as <c>id</c>. The stored URL has no secret: it is derived again here from the job's protected key.
/// </summary>
public sealed class JobCallbackDeliveryTarget(IDataProtectionProvider protection) : IDeliveryTarget
{
    public DeliveryTargetKind Kind => DeliveryTargetKind.Job;

    public async Task<ResolvedTarget?> ResolveAsync(PortalDbContext db, Delivery delivery, CancellationToken ct)
    {
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == delivery.TargetId, ct);
        if (job is null)
        {
            return null;
        }

        var secret = JobCallbackSecret.ForJob(protection, job);
        return new ResolvedTarget(delivery.TargetName, null, new Dictionary<string, string>(),
            secret is null ? delivery.Url : JobCallbackSecret.AppendTo(delivery.Url, secret), SecretQueryParameter: "id");
    }
}
