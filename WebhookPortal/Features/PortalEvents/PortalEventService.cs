using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.PortalEvents;

/// <summary>Reads portal events, newest first; a context per call, as Blazor circuits need.</summary>
public sealed class PortalEventService(IDbContextFactory<PortalDbContext> dbFactory)
{
    public const int MaxLimit = 200;

    public async Task<IReadOnlyList<PortalEventView>> ListAsync(Guid? webhookId = null, Guid? integrationId = null, string? type = null, int limit = 50, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"The limit is between 1 and {MaxLimit}."];
        }

        if (type is not null && !PortalEventTypes.All.Contains(type, StringComparer.Ordinal))
        {
            errors["type"] = [$"The type is one of: {string.Join(", ", PortalEventTypes.All)}."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.PortalEvents.AsNoTracking();
        if (webhookId is { } webhook)
        {
            query = query.Where(e => e.WebhookId == webhook);
        }

        if (integrationId is { } integration)
        {
            query = query.Where(e => e.IntegrationId == integration);
        }

        if (type is not null)
        {
            query = query.Where(e => e.Type == type);
        }

        return await query.OrderByDescending(e => e.TimeUtc).ThenByDescending(e => e.Id).Take(limit)
            .Select(e => new PortalEventView(e.Id, e.TimeUtc, e.Type, e.IntegrationId, e.Integration!.Name, e.WebhookId, e.Subject, e.Reason, e.MessageId))
            .ToListAsync(ct);
    }
}
