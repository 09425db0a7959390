using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.PortalEvents;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Events;

/// <summary>REST-hook subscriptions (docs/compatibility.md#rest-hooks): subscribe, list, unsubscribe and perform-list, scoped to the caller's key; a context per operation.</summary>
public sealed class SubscriptionService(
    IDbContextFactory<PortalDbContext> dbFactory, EventPayloads payloads, DeliveryOutbox outbox, IDataProtectionProvider protection, IOptions<OutboundOptions> outbound,
    TimeProvider time, ApiKeyService keys, IOptions<ApiKeyOptions> keyOptions)
{
    // Counting an owner's subscriptions and adding one must not interleave, or two requests could both pass the cap.
    private static readonly SemaphoreSlim SubscribeLock = new(1, 1);

    /// <summary>Perform list: payloads for the latest records (up to 3, newest first), or for the listener's sample.</summary>
    public async Task<IReadOnlyList<JsonElement>> PerformListAsync(ClaimsPrincipal caller, string? eventName, Guid? integrationId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (eventName is not null && PortalEventTypes.IsPortalEvent(eventName))
        {
            // A portal event has no records to sample: the newest of the integration, else one example of its shape.
            var of = await PortalEventIntegrationAsync(db, eventName, integrationId, await keys.ScopeOfAsync(caller, ct), ct);
            return [PortalEventRaiser.Example(eventName, of)];
        }

        var entity = await ByNameAsync(db, eventName, integrationId, await keys.ScopeOfAsync(caller, ct), ct);
        var samples = new List<JsonElement>();
        foreach (var record in await EventPayloads.SamplesAsync(db, entity, 3, ct))
        {
            try
            {
                if (payloads.Build(entity, record, entity.Actions.FirstOrDefault() ?? RecordActions.Insert) is { } payload)
                {
                    samples.Add(JsonDocument.Parse(payload).RootElement);
                }
            }
            catch (UnprocessableException)
            {
                // A record the script cannot handle is left out of the samples.
            }
        }

        return samples;
    }

    public async Task<SubscribeResponse> SubscribeAsync(ClaimsPrincipal caller, SubscribeRequest request, CancellationToken ct = default)
    {
        // A Subscriber key sees only the events of its integrations: any other is "not found", like a missing one.
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await keys.ScopeOfAsync(caller, ct);
        EventType? entity = null;
        Guid? portalIntegration = null;
        if (request.Event is { } name && PortalEventTypes.IsPortalEvent(name))
        {
            portalIntegration = await PortalEventIntegrationAsync(db, name, request.IntegrationId, scope, ct);
        }
        else
        {
            entity = await ByNameAsync(db, request.Event, request.IntegrationId, scope, ct);
        }

        if (UrlGuard.ValidateUrl(request.TargetUrl, outbound.Value.AllowedHosts) is { } error)
        {
            throw new UnprocessableException("target_url: " + error);
        }

        var owner = OwnerOf(caller);
        var cap = keyOptions.Value.MaxSubscriptionsPerKey;
        await SubscribeLock.WaitAsync(ct);
        try
        {
            if (await db.Subscriptions.CountAsync(s => s.OwnerId == owner, ct) >= cap)
            {
                throw new ConflictException($"This key already has {cap} subscriptions, its limit; unsubscribe one first.");
            }

            var secret = Signer.NewSecret();
            var subscription = new Subscription
            {
                Id = Guid.NewGuid(),
                EventTypeId = entity?.Id ?? Guid.Empty,
                PortalEventType = entity is null ? request.Event : null,
                IntegrationId = portalIntegration,
                TargetUrl = request.TargetUrl!.Trim(),
                ProtectedSecret = WebhookSecrets.Protect(protection, secret),
                OwnerId = owner,
                OwnerName = caller.Identity?.Name,
                CreatedUtc = time.GetUtcNow().UtcDateTime,
            };
            db.Subscriptions.Add(subscription);
            await db.SaveChangesAsync(ct);
            return new SubscribeResponse(subscription.Id, entity?.Name ?? subscription.PortalEventType!, subscription.TargetUrl, subscription.CreatedUtc, secret);
        }
        finally
        {
            SubscribeLock.Release();
        }
    }

    public async Task<IReadOnlyList<SubscriptionView>> SubscriptionsAsync(ClaimsPrincipal caller, Guid? eventTypeId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Subscriptions.AsNoTracking();
        if (!caller.IsInRole(PortalRoles.Admin) && !caller.IsInRole(PortalRoles.Support))
        {
            var owner = OwnerOf(caller);
            var scope = await keys.ScopeOfAsync(caller, ct) ?? [];
            var reachable = db.EventTypes.Where(e => scope.Contains(e.IntegrationId)).Select(e => e.Id);
            query = query.Where(s => s.OwnerId == owner && (reachable.Contains(s.EventTypeId) || (s.IntegrationId != null && scope.Contains(s.IntegrationId.Value))));
        }

        if (eventTypeId is { } id)
        {
            query = query.Where(s => s.EventTypeId == id);
        }

        var rows = await query.OrderByDescending(s => s.CreatedUtc).ToListAsync(ct);
        var names = await db.EventTypes.AsNoTracking().ToDictionaryAsync(e => e.Id, e => e.Name, ct);
        var ids = rows.Select(r => r.Id).ToList();
        var last = (await db.Deliveries.AsNoTracking().Where(d => d.TargetKind == DeliveryTargetKind.Subscription && ids.Contains(d.TargetId)).Select(d => new { d.TargetId, d.State, d.CreatedUtc }).ToListAsync(ct))
            .GroupBy(d => d.TargetId).ToDictionary(g => g.Key, g => (DeliveryState?)g.OrderByDescending(d => d.CreatedUtc).First().State);
        // A target URL may carry a credential: whole for an administrator and for the key that subscribed it (it sent
        // the URL), without user-info and with token-like parameters masked for Support.
        var admin = PortalCaller.IsAdmin(caller);
        var self = OwnerOf(caller);
        return rows.Select(s => new SubscriptionView(s.Id, s.PortalEventType ?? names.GetValueOrDefault(s.EventTypeId, "?"),
            admin || s.OwnerId == self ? s.TargetUrl : Redaction.Url(s.TargetUrl), s.CreatedUtc, s.OwnerName, last.GetValueOrDefault(s.Id))).ToList();
    }

    public async Task UnsubscribeAsync(ClaimsPrincipal caller, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.Subscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null || (!caller.IsInRole(PortalRoles.Admin) && subscription.OwnerId != OwnerOf(caller)))
        {
            throw new NotFoundException($"No subscription with id {id}.");
        }

        db.Subscriptions.Remove(subscription);
        await db.SaveChangesAsync(ct);
        await outbox.CancelPendingAsync(db, DeliveryTargetKind.Subscription, id, ct);
    }

    private static async Task<EventType> ByNameAsync(PortalDbContext db, string? name, Guid? integrationId, IReadOnlyCollection<Guid>? scope, CancellationToken ct)
    {
        var query = db.EventTypes.AsNoTracking().Where(e => e.Name == name && (integrationId == null || e.IntegrationId == integrationId) && e.Enabled);
        if (scope is not null)
        {
            query = query.Where(e => scope.Contains(e.IntegrationId));
        }

        var matches = await query.ToListAsync(ct);
        return matches.Count switch
        {
            0 => throw new NotFoundException($"No event named '{name}'."),
            1 => matches[0],
            _ => throw new ConflictException($"Several integrations have an event named '{name}'; send integrationId too."),
        };
    }

    /// <summary>
    /// The integration a portal event subscription is for: the one named, or a Subscriber key's only one. Unknown
    /// names, integrations out of the key's reach and missing ones are "not found"; several possible is a conflict.
    /// </summary>
    private static async Task<Guid> PortalEventIntegrationAsync(PortalDbContext db, string name, Guid? integrationId, IReadOnlyCollection<Guid>? scope, CancellationToken ct)
    {
        if (!PortalEventTypes.All.Contains(name, StringComparer.Ordinal))
        {
            throw new NotFoundException($"No event named '{name}'.");
        }

        if (integrationId is { } id)
        {
            if ((scope is not null && !scope.Contains(id)) || !await db.Integrations.AnyAsync(i => i.Id == id, ct))
            {
                throw new NotFoundException($"No integration with id {id}.");
            }

            return id;
        }

        return scope is { Count: 1 } ? scope.First()
            : throw new ConflictException($"'{name}' is raised for each integration's webhooks; send integrationId too.");
    }

    private static string OwnerOf(ClaimsPrincipal caller) => caller.FindFirstValue(ClaimTypes.NameIdentifier) ?? caller.Identity?.Name ?? "unknown";
}
