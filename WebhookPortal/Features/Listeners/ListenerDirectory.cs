using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// Listener lookups for the receiver's hot path: cached for <see cref="ListenerOptions.CacheDuration"/> and dropped
/// at once when the listener changes: on this portal directly, on the others sharing a PostgreSQL database through
/// <see cref="IClusterSignals"/> (the expiry bounds a lost signal).
/// </summary>
public sealed class ListenerDirectory
{
    private const string Topic = "listener";

    private readonly ConcurrentDictionary<Guid, (ListenerSnapshot? Snapshot, DateTimeOffset Until)> cache = new();
    private readonly IServiceScopeFactory scopes;
    private readonly IOptions<ListenerOptions> options;
    private readonly TimeProvider time;
    private readonly IClusterSignals signals;
    private readonly IDataProtectionProvider protection;

    public ListenerDirectory(IServiceScopeFactory scopes, IOptions<ListenerOptions> options, TimeProvider time, IClusterSignals signals, IDataProtectionProvider protection)
    {
        this.protection = protection;
        this.scopes = scopes;
        this.options = options;
        this.time = time;
        this.signals = signals;
        signals.Subscribe(
            Topic,
            payload =>
            {
                if (Guid.TryParse(payload, out var id))
                {
                    cache.TryRemove(id, out _);
                }
            },
            cache.Clear);
    }

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
        var snapshot = listener is null ? null : ListenerSnapshot.From(listener, secret => ListenerSignatures.Unprotect(protection, secret)) with
        {
            // Data tracking reads each changed record back only when an event type listens.
            HasEvents = await db.EventTypes.AnyAsync(e => e.ListenerId == id && e.Enabled, ct),
        };
        cache[id] = (snapshot, now + options.Value.CacheDuration);
        return snapshot;
    }

    public void Invalidate(Guid id)
    {
        cache.TryRemove(id, out _);
        signals.Publish(Topic, id.ToString("N"));
    }
}
