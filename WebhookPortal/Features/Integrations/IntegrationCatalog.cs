using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Integrations;

/// <summary>
/// The integrations, by name, kept in memory: every page and most API calls list them, and a handful of rows that
/// change rarely is not worth a database round trip per request (issue 17: the query was two thirds of an API-key
/// request's time). Dropped at once when an integration changes: on this portal directly, on the others sharing a
/// PostgreSQL database through <see cref="IClusterSignals"/>; <see cref="IntegrationOptions.CacheDuration"/> bounds a
/// lost signal.
/// </summary>
public sealed class IntegrationCatalog(IDbContextFactory<PortalDbContext> dbFactory, IOptions<IntegrationOptions> options, TimeProvider time, IClusterSignals signals)
{
    private readonly SignalledCache<bool, IReadOnlyList<IntegrationView>> cache = new("integrations", signals, time, () => options.Value.CacheDuration);

    public async Task<IReadOnlyList<IntegrationView>> ListAsync(CancellationToken ct = default) =>
        (await cache.GetAsync(true, async token =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            return (await db.Integrations.AsNoTracking().OrderBy(i => i.Name).ToListAsync(token)).Select(IntegrationView.From).ToList().AsReadOnly();
        }, ct))!;

    /// <summary>After a committed change: this portal drops its list at once, the others when the signal arrives.</summary>
    public void Invalidate() => cache.Invalidate();
}
