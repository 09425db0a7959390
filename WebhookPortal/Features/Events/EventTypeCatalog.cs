using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;
using WebhookPortal.Infrastructure.Scripting;

namespace WebhookPortal.Features.Events;

/// <summary>Event types (docs/compatibility.md#rest-hooks) as configuration: list, read, create, change, delete and test their scripts; a context per operation.</summary>
public sealed partial class EventTypeCatalog(
    IDbContextFactory<PortalDbContext> dbFactory, EventPayloads payloads, ScriptSandbox scripts, ListenerDirectory listeners, TimeProvider time, PortalCaller caller, DeletionService deletion)
{
    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();

    public async Task<IReadOnlyList<EventTypeView>> ListAsync(Guid? integrationId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (integrationId is { } id && !await db.Integrations.AnyAsync(i => i.Id == id, ct))
        {
            throw new NotFoundException($"No integration with id {id}.");
        }

        var rows = await db.EventTypes.AsNoTracking().Where(e => integrationId == null || e.IntegrationId == integrationId).OrderBy(e => e.Name).ToListAsync(ct);
        return await ViewsAsync(db, rows, ct);
    }

    public async Task<EventTypeView> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await ViewsAsync(db, [await FindAsync(db, id, ct)], ct))[0];
    }

    public async Task<EventTypeView> CreateAsync(Guid integrationId, EventTypeRequest input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create event types");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Integrations.AnyAsync(i => i.Id == integrationId, ct))
        {
            throw new NotFoundException($"No integration with id {integrationId}.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var entity = new EventType { Id = Guid.NewGuid(), IntegrationId = integrationId, Name = "", ActionsJson = "[]", CreatedUtc = now, UpdatedUtc = now };
        await ApplyAsync(db, entity, input, creating: true, ct);
        db.EventTypes.Add(entity);
        await db.SaveChangesAsync(ct);
        listeners.Invalidate(entity.ListenerId);
        return (await ViewsAsync(db, [entity], ct))[0];
    }

    public async Task<EventTypeView> UpdateAsync(Guid id, EventTypeRequest input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change event types");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = await FindAsync(db, id, ct);
        var oldListener = entity.ListenerId;
        await ApplyAsync(db, entity, input, creating: false, ct);
        entity.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        listeners.Invalidate(oldListener);
        listeners.Invalidate(entity.ListenerId);
        return (await ViewsAsync(db, [entity], ct))[0];
    }

    public async Task DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete event types");
        Guid listenerId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            listenerId = (await FindAsync(db, id, ct)).ListenerId;
        }

        await deletion.DeleteEventTypeAsync(id, ct);
        listeners.Invalidate(listenerId);
    }

    /// <summary>The payload the script builds for a record (by default the latest stored one); null when the script declines.</summary>
    public async Task<EventTestResponse> TestAsync(Guid id, EventTestRequest request, CancellationToken ct = default)
    {
        // Test runs a script on the server: an administrator's action, whatever the page shows.
        await caller.RequireAdminAsync("test event type scripts");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = await FindAsync(db, id, ct);
        var action = request.Action ?? entity.Actions.FirstOrDefault() ?? RecordActions.Insert;
        string record;
        if (request.Record is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } given)
        {
            record = given.GetRawText();
        }
        else
        {
            record = (await EventPayloads.SamplesAsync(db, entity, 1, ct)).FirstOrDefault() ?? throw new UnprocessableException("There is no stored record and no sample to test with; send a record.");
        }

        var payload = payloads.Build(request.Script ?? entity.Script, record, action);
        return new EventTestResponse(payload is null ? null : JsonDocument.Parse(payload).RootElement);
    }

    /// <summary>Validates and applies the input; on update, what was left out keeps its value.</summary>
    private async Task ApplyAsync(PortalDbContext db, EventType entity, EventTypeRequest input, bool creating, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var name = input.Name?.Trim() ?? (creating ? "" : entity.Name);
        if (!NamePattern().IsMatch(name))
        {
            errors["name"] = ["The name is 1 to 64 letters, digits, '.', '_' or '-'."];
        }
        else if (await db.EventTypes.AnyAsync(e => e.IntegrationId == entity.IntegrationId && e.Name == name && e.Id != entity.Id, ct))
        {
            throw new ConflictException($"The integration already has an event type named '{name}'.");
        }

        var actions = (input.Actions ?? (creating ? null : entity.Actions.ToList()))?.Select(a => a.Trim().ToLowerInvariant()).Distinct().ToList() ?? [];
        if (actions.Count == 0 || actions.Any(a => !RecordActions.All.Contains(a)))
        {
            errors["actions"] = ["Pick one or more of insert, update, delete."];
        }

        var listenerOf = input.ListenerId ?? (creating ? null : entity.ListenerId);
        if (listenerOf is not { } listenerId || !await db.Listeners.AnyAsync(l => l.Id == listenerId && l.IntegrationId == entity.IntegrationId, ct))
        {
            errors["listenerId"] = ["The listener must exist in this integration."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var setScript = creating || input.Has("script");
        var script = setScript ? (string.IsNullOrWhiteSpace(input.Script) ? null : input.Script) : entity.Script;
        if (setScript && script is not null)
        {
            try
            {
                scripts.Compile(script);
            }
            catch (ScriptException ex)
            {
                throw new UnprocessableException($"The script does not parse (line {ex.Line}): {ex.Message}");
            }
        }

        entity.Name = name;
        if (creating || input.Has("description"))
        {
            entity.Description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim();
        }

        entity.ListenerId = listenerOf!.Value;
        entity.ActionsJson = JsonSerializer.Serialize(actions);
        entity.Script = script;
        entity.Enabled = input.Enabled ?? (creating || entity.Enabled);
    }

    private static async Task<EventType> FindAsync(PortalDbContext db, Guid id, CancellationToken ct) =>
        await db.EventTypes.FirstOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException($"No event type with id {id}.");

    private async Task<IReadOnlyList<EventTypeView>> ViewsAsync(PortalDbContext db, List<EventType> rows, CancellationToken ct)
    {
        var ids = rows.Select(r => r.Id).ToList();
        var subscribers = await db.Subscriptions.AsNoTracking().Where(s => ids.Contains(s.EventTypeId)).GroupBy(s => s.EventTypeId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var since = time.GetUtcNow().UtcDateTime.AddHours(-24);
        var names = rows.Select(r => r.Name).ToList();
        var fired = await db.Messages.AsNoTracking().Where(m => m.CreatedUtc >= since && names.Contains(m.EventType)).GroupBy(m => new { m.IntegrationId, m.EventType })
            .Select(g => new { g.Key.IntegrationId, g.Key.EventType, Count = g.Count() }).ToListAsync(ct);
        return rows.Select(e => new EventTypeView(e.Id, e.IntegrationId, e.ListenerId, e.Name, e.Description, e.Actions, e.Script, e.Enabled,
            subscribers.GetValueOrDefault(e.Id), fired.Where(f => f.IntegrationId == e.IntegrationId && f.EventType == e.Name).Sum(f => f.Count), e.CreatedUtc, e.UpdatedUtc)).ToList();
    }
}
