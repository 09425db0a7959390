using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Features.Webhooks;

/// <summary>
/// Where a published event goes: each integration's enabled webhooks with their event filters, kept in memory. Every
/// publish needed them, and reading them took a database context and two statements per request (issue 17, publish).
/// Any committed change to a webhook or an integration drops them all at once: on this portal directly, on the others
/// sharing a PostgreSQL database through <see cref="IClusterSignals"/>; <see cref="WebhookOptions.PublishCacheDuration"/>
/// bounds a lost signal. Only integrations that exist are kept, so unknown ids cannot fill it.
/// </summary>
public sealed class PublishRoutes
{
    private const string Topic = "webhooks";

    private static readonly Func<PortalDbContext, Guid, CancellationToken, Task<bool>> IntegrationExists =
        EF.CompileAsyncQuery((PortalDbContext db, Guid id, CancellationToken ct) => db.Integrations.Any(i => i.Id == id));

    private static readonly Func<PortalDbContext, Guid, IAsyncEnumerable<Route>> EnabledWebhooksOf =
        EF.CompileAsyncQuery((PortalDbContext db, Guid integrationId) => db.Webhooks.AsNoTracking()
            .Where(w => w.IntegrationId == integrationId && w.Enabled)
            .Select(w => new Route(w.Id, w.Name, w.PostUrl, w.EventTypesJson)));

    private readonly ConcurrentDictionary<Guid, Snapshot> byIntegration = new();
    private readonly IDbContextFactory<PortalDbContext> dbFactory;
    private readonly IOptions<WebhookOptions> options;
    private readonly TimeProvider time;
    private readonly IClusterSignals signals;
    private long version;

    public PublishRoutes(IDbContextFactory<PortalDbContext> dbFactory, IOptions<WebhookOptions> options, TimeProvider time, IClusterSignals signals)
    {
        this.dbFactory = dbFactory;
        this.options = options;
        this.time = time;
        this.signals = signals;
        signals.Subscribe(Topic, _ => Drop(), Drop);
    }

    /// <summary>An enabled webhook as publish needs it: where it goes and which event types it takes.</summary>
    public sealed class Route(Guid id, string name, string postUrl, string? eventTypesJson)
    {
        // Parsed once per load, not per publish.
        private readonly HashSet<string> eventTypes = new(Webhook.ParseEventTypes(eventTypesJson), StringComparer.Ordinal);

        public Guid Id { get; } = id;

        public string Name { get; } = name;

        public string PostUrl { get; } = postUrl;

        /// <summary>As <see cref="Webhook.Accepts"/>: no event types means every event type.</summary>
        public bool Accepts(string eventType) => eventTypes.Count == 0 || eventTypes.Contains(eventType);
    }

    public int CachedIntegrations => byIntegration.Count;

    /// <summary>The integration's enabled webhooks, or null when there is no such integration.</summary>
    public async Task<IReadOnlyList<Route>?> OfAsync(Guid integrationId, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        if (byIntegration.TryGetValue(integrationId, out var cached) && cached.Until > now)
        {
            return cached.Routes;
        }

        // A change committed while this load runs bumps the version: the load may have read the old rows, so it is
        // returned to its caller (as a publish that read just before the change would have) but not kept.
        var loadedAt = Interlocked.Read(ref version);
        List<Route> routes = [];
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (!await IntegrationExists(db, integrationId, ct))
            {
                return null;
            }

            await foreach (var route in EnabledWebhooksOf(db, integrationId).WithCancellation(ct))
            {
                routes.Add(route);
            }
        }

        var loaded = new Snapshot(routes.AsReadOnly(), now + options.Value.PublishCacheDuration, loadedAt);
        if (options.Value.PublishCacheDuration > TimeSpan.Zero && Interlocked.Read(ref version) == loadedAt)
        {
            byIntegration[integrationId] = loaded;
            if (Interlocked.Read(ref version) != loadedAt)
            {
                byIntegration.TryRemove(KeyValuePair.Create(integrationId, loaded)); // dropped between the check and the write
            }
        }

        return loaded.Routes;
    }

    /// <summary>After a committed change to a webhook or an integration: this portal drops its routes at once, the others when the signal arrives.</summary>
    public void Invalidate()
    {
        Drop();
        signals.Publish(Topic, "changed");
    }

    private void Drop()
    {
        Interlocked.Increment(ref version);
        byIntegration.Clear();
    }

    private sealed record Snapshot(IReadOnlyList<Route> Routes, DateTimeOffset Until, long Version);
}
