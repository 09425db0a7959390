using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// Listener lookups for the receiver's hot path: cached for <see cref="ListenerOptions.CacheDuration"/>
/// and dropped at once when this instance changes the listener.
/// </summary>
public sealed class ListenerDirectory(IServiceScopeFactory scopes, IOptions<ListenerOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, (ListenerSnapshot? Snapshot, DateTimeOffset Until)> cache = new();

    public async Task<ListenerSnapshot?> GetAsync(Guid id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(id, out var cached) && cached.Until > now)
        {
            return cached.Snapshot;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var listener = await db.Listeners.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct);
        var snapshot = listener is null ? null : ListenerSnapshot.From(listener) with
        {
            // Data tracking reads each changed record back only when an event type listens.
            HasEvents = await db.EventTypes.AnyAsync(e => e.ListenerId == id && e.Enabled, ct),
        };
        cache[id] = (snapshot, now + options.Value.CacheDuration);
        return snapshot;
    }

    public void Invalidate(Guid id) => cache.TryRemove(id, out _);
}
