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
public sealed class IntegrationCatalog
{
    private const string Topic = "integrations";

    private readonly IDbContextFactory<PortalDbContext> dbFactory;
    private readonly IOptions<IntegrationOptions> options;
    private readonly TimeProvider time;
    private readonly IClusterSignals signals;
    private Snapshot? current;
    private long version;

    public IntegrationCatalog(IDbContextFactory<PortalDbContext> dbFactory, IOptions<IntegrationOptions> options, TimeProvider time, IClusterSignals signals)
    {
        this.dbFactory = dbFactory;
        this.options = options;
        this.time = time;
        this.signals = signals;
        signals.Subscribe(Topic, _ => Drop(), Drop);
    }

    public async Task<IReadOnlyList<IntegrationView>> ListAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        if (Volatile.Read(ref current) is { } cached && cached.Until > now)
        {
            return cached.Integrations;
        }

        // A change committed while this load runs bumps the version: the load may have read the old rows, so it is
        // returned to its caller but not kept.
        var loadedAt = Interlocked.Read(ref version);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var integrations = (await db.Integrations.AsNoTracking().OrderBy(i => i.Name).ToListAsync(ct)).Select(IntegrationView.From).ToList().AsReadOnly();
        var loaded = new Snapshot(integrations, now + options.Value.CacheDuration, loadedAt);
        var seen = Volatile.Read(ref current);
        if (Interlocked.Read(ref version) == loadedAt && (seen is null || seen.Version <= loadedAt))
        {
            Interlocked.CompareExchange(ref current, loaded, seen);
        }

        return integrations;
    }

    /// <summary>After a committed change: this portal drops its list at once, the others when the signal arrives.</summary>
    public void Invalidate()
    {
        Drop();
        signals.Publish(Topic, "changed");
    }

    private void Drop()
    {
        Interlocked.Increment(ref version);
        Volatile.Write(ref current, null);
    }

    private sealed record Snapshot(IReadOnlyList<IntegrationView> Integrations, DateTimeOffset Until, long Version);
}
