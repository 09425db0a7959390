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
    private static readonly Func<PortalDbContext, Guid, CancellationToken, Task<bool>> IntegrationExists =
        EF.CompileAsyncQuery((PortalDbContext db, Guid id, CancellationToken ct) => db.Integrations.Any(i => i.Id == id));

    private static readonly Func<PortalDbContext, Guid, IAsyncEnumerable<Route>> EnabledWebhooksOf =
        EF.CompileAsyncQuery((PortalDbContext db, Guid integrationId) => db.Webhooks.AsNoTracking()
            .Where(w => w.IntegrationId == integrationId && w.Enabled)
            .Select(w => new Route(w.Id, w.Name, w.PostUrl, w.EventTypesJson)));

    private readonly IDbContextFactory<PortalDbContext> dbFactory;
    private readonly SignalledCache<Guid, IReadOnlyList<Route>> cache;

    public PublishRoutes(IDbContextFactory<PortalDbContext> dbFactory, IOptions<WebhookOptions> options, TimeProvider time, IClusterSignals signals)
    {
        this.dbFactory = dbFactory;
        cache = new SignalledCache<Guid, IReadOnlyList<Route>>("webhooks", signals, time, () => options.Value.PublishCacheDuration);
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

    public int CachedIntegrations => cache.Count;

    /// <summary>The integration's enabled webhooks, or null when there is no such integration.</summary>
    public Task<IReadOnlyList<Route>?> OfAsync(Guid integrationId, CancellationToken ct = default) =>
        cache.GetAsync(integrationId, async token =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            if (!await IntegrationExists(db, integrationId, token))
            {
                return null;
            }

            List<Route> routes = [];
            await foreach (var route in EnabledWebhooksOf(db, integrationId).WithCancellation(token))
            {
                routes.Add(route);
            }

            return routes.AsReadOnly();
        }, ct);

    /// <summary>After a committed change to a webhook or an integration: this portal drops its routes at once, the others when the signal arrives.</summary>
    public void Invalidate() => cache.Invalidate();
}
