using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;

namespace WebhookPortal.Features.Deliveries;

/// <summary>What the outbound side prunes: the retention job's deliveries, messages and portal events older than Delivery:RetentionDays.</summary>
public sealed record DeliveryRetentionReport(int DeliveriesDeleted, int MessagesDeleted, int PortalEventsDeleted);

/// <summary>
/// Keeps the outbound tables from growing without end: finished deliveries (delivered, failed, cancelled) last
/// changed before Delivery:RetentionDays, then messages no delivery refers to any more, then portal events, each in
/// batches (one short transaction each) so that the receiver's writer never waits long. Pending and held deliveries,
/// and their messages, are never pruned. Attempts live in the request log, which has its own retention.
/// </summary>
public sealed class DeliveryRetention(IOptions<DeliveryOptions> options, TimeProvider time)
{
    public async Task<DeliveryRetentionReport> PruneAsync(PortalDbContext db, int batchSize, CancellationToken ct = default)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-options.Value.RetentionDays);
        var deliveries = await InBatchesAsync(
            () => db.Deliveries.Where(d => d.UpdatedUtc < cutoff && (d.State == DeliveryState.Delivered || d.State == DeliveryState.Failed || d.State == DeliveryState.Cancelled))
                .OrderBy(d => d.UpdatedUtc).Select(d => d.Id).Take(batchSize).ToListAsync(ct),
            ids => db.Deliveries.Where(d => ids.Contains(d.Id)).ExecuteDeleteAsync(ct));
        var messages = await InBatchesAsync(
            () => db.Messages.Where(m => m.CreatedUtc < cutoff && !db.Deliveries.Any(d => d.MessageId == m.Id))
                .OrderBy(m => m.CreatedUtc).Select(m => m.Id).Take(batchSize).ToListAsync(ct),
            ids => db.Messages.Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(ct));
        var portalEvents = await InBatchesAsync(
            () => db.PortalEvents.Where(e => e.TimeUtc < cutoff).OrderBy(e => e.TimeUtc).Select(e => e.Id).Take(batchSize).ToListAsync(ct),
            ids => db.PortalEvents.Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(ct));
        return new DeliveryRetentionReport(deliveries, messages, portalEvents);
    }

    private static async Task<int> InBatchesAsync(Func<Task<List<Guid>>> next, Func<List<Guid>, Task<int>> delete)
    {
        var total = 0;
        while (await next() is { Count: > 0 } ids)
        {
            total += await delete(ids);
        }

        return total;
    }
}
