using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hangfire;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;
using WebhookPortal.Infrastructure.Scripting;

namespace WebhookPortal.Features.Events;

/// <summary>An event type as sent. On update an omitted (or null) field keeps its value; <c>description</c> and <c>script</c> sent as null clear them.</summary>
public sealed record EventTypeInput(string? Name, string? Description, Guid? ListenerId, List<string>? Actions, string? Script, bool? Enabled) : IPartialInput
{
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlySet<string>? Sent { get; set; }
}

public sealed record EventTypeView(Guid Id, Guid IntegrationId, Guid ListenerId, string Name, string? Description, IReadOnlyList<string> Actions, string? Script, bool Enabled,
    int Subscribers, int FiredLast24h, DateTime Created, DateTime Updated);

/// <summary>What to test on; <c>script</c>, when given, is tried instead of the saved one (nothing is saved; empty = no script).</summary>
public sealed record EventTestRequest(JsonElement? Record, string? Action, string? Script = null);

public sealed record EventTestResult(JsonElement? Payload);

public sealed record SubscribeRequest(string? Event, string? Target_url, Guid? IntegrationId);

public sealed record SubscriptionView(Guid Id, string Event, string Target_url, DateTime Created, string? Owner, string? LastDeliveryState);

public sealed record SubscribedAnswer(Guid Id, string Event, string Target_url, DateTime Created, string Secret);

/// <summary>Event types (docs/compatibility.md#rest-hooks), their payload scripts, data tracking and REST-hook subscriptions.</summary>
public sealed partial class EventService(
    PortalDbContext db, ScriptSandbox scripts, DeliveryService deliveries, ListenerDirectory listeners, IDataProtectionProvider protection,
    IOptions<OutboundOptions> outbound, TimeProvider time, IBackgroundJobClient jobs, ILogger<EventService> logger,
    ApiKeyService keys, IOptions<ApiKeyOptions> keyOptions, PortalCaller caller, WebhookPortal.Features.Integrations.DeletionService deletion)
{
    // Counting an owner's subscriptions and adding one must not interleave, or two requests could both pass the cap.
    private static readonly SemaphoreSlim SubscribeLock = new(1, 1);

    // Staged in the receiver's transaction, handed to Hangfire once it committed.
    private readonly List<Guid> pendingAfterCommit = [];

    public const string SubscriptionTarget = DeliveryTargets.Subscription;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();

    public async Task<IReadOnlyList<EventTypeView>> ListAsync(Guid? integrationId, CancellationToken ct = default)
    {
        if (integrationId is { } id && !await db.Integrations.AnyAsync(i => i.Id == id, ct))
        {
            throw new NotFoundException($"No integration with id {id}.");
        }

        var rows = await db.EventTypes.AsNoTracking().Where(e => integrationId == null || e.IntegrationId == integrationId).OrderBy(e => e.Name).ToListAsync(ct);
        return await ViewsAsync(rows, ct);
    }

    public async Task<EventTypeView> GetAsync(Guid id, CancellationToken ct = default) => (await ViewsAsync([await FindAsync(id, ct)], ct))[0];

    public async Task<EventTypeView> CreateAsync(Guid integrationId, EventTypeInput input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create event types");
        if (!await db.Integrations.AnyAsync(i => i.Id == integrationId, ct))
        {
            throw new NotFoundException($"No integration with id {integrationId}.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var entity = new EventType { Id = Guid.NewGuid(), IntegrationId = integrationId, Name = "", ActionsJson = "[]", CreatedUtc = now, UpdatedUtc = now };
        await ApplyAsync(entity, input, creating: true, ct);
        db.EventTypes.Add(entity);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        listeners.Invalidate(entity.ListenerId);
        return await GetAsync(entity.Id, ct);
    }

    public async Task<EventTypeView> UpdateAsync(Guid id, EventTypeInput input, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change event types");
        var entity = await FindAsync(id, ct);
        var oldListener = entity.ListenerId;
        await ApplyAsync(entity, input, creating: false, ct);
        entity.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        listeners.Invalidate(oldListener);
        listeners.Invalidate(entity.ListenerId);
        return await GetAsync(id, ct);
    }

    public async Task DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete event types");
        var entity = await FindAsync(id, ct);
        await deletion.DeleteEventTypeAsync(id, ct);
        listeners.Invalidate(entity.ListenerId);
    }

    /// <summary>The payload the script builds for a record (by default the latest stored one); null when the script declines.</summary>
    public async Task<EventTestResult> TestAsync(Guid id, EventTestRequest request, CancellationToken ct = default)
    {
        // Test runs a script on the server: an administrator's action, whatever the page shows.
        await caller.RequireAdminAsync("test event type scripts");
        var entity = await FindAsync(id, ct);
        var action = request.Action ?? entity.Actions.FirstOrDefault() ?? RecordActions.Insert;
        string record;
        if (request.Record is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } given)
        {
            record = given.GetRawText();
        }
        else
        {
            record = (await SamplesAsync(entity, 1, ct)).FirstOrDefault() ?? throw new UnprocessableException("There is no stored record and no sample to test with; send a record.");
        }

        var payload = Payload(request.Script ?? entity.Script, record, action);
        return new EventTestResult(payload is null ? null : JsonDocument.Parse(payload).RootElement);
    }

    /// <summary>Perform list: payloads for the latest records (up to 3, newest first), or for the listener's sample.</summary>
    public async Task<IReadOnlyList<JsonElement>> PerformListAsync(ClaimsPrincipal caller, string? eventName, Guid? integrationId, CancellationToken ct = default)
    {
        var entity = await ByNameAsync(eventName, integrationId, await keys.ScopeOfAsync(caller, ct), ct);
        var payloads = new List<JsonElement>();
        foreach (var record in await SamplesAsync(entity, 3, ct))
        {
            try
            {
                if (Payload(entity, record, entity.Actions.FirstOrDefault() ?? RecordActions.Insert) is { } payload)
                {
                    payloads.Add(JsonDocument.Parse(payload).RootElement);
                }
            }
            catch (UnprocessableException)
            {
                // A record the script cannot handle is left out of the samples.
            }
        }

        return payloads;
    }

    public async Task<SubscribedAnswer> SubscribeAsync(ClaimsPrincipal caller, SubscribeRequest request, CancellationToken ct = default)
    {
        // A Subscriber key sees only the events of its integrations: any other is "not found", like a missing one.
        var entity = await ByNameAsync(request.Event, request.IntegrationId, await keys.ScopeOfAsync(caller, ct), ct);
        if (UrlGuard.ValidateUrl(request.Target_url, outbound.Value.AllowedHosts) is { } error)
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
                EventTypeId = entity.Id,
                TargetUrl = request.Target_url!.Trim(),
                ProtectedSecret = WebhookSecrets.Protect(protection, secret),
                OwnerId = owner,
                OwnerName = caller.Identity?.Name,
                CreatedUtc = time.GetUtcNow().UtcDateTime,
            };
            db.Subscriptions.Add(subscription);
            await db.SaveChangesAsync(ct);
            return new SubscribedAnswer(subscription.Id, entity.Name, subscription.TargetUrl, subscription.CreatedUtc, secret);
        }
        finally
        {
            SubscribeLock.Release();
        }
    }

    public async Task<IReadOnlyList<SubscriptionView>> SubscriptionsAsync(ClaimsPrincipal caller, Guid? eventTypeId, CancellationToken ct = default)
    {
        var query = db.Subscriptions.AsNoTracking();
        if (!caller.IsInRole(PortalRoles.Admin) && !caller.IsInRole(PortalRoles.Support))
        {
            var owner = OwnerOf(caller);
            var scope = await keys.ScopeOfAsync(caller, ct) ?? [];
            var reachable = db.EventTypes.Where(e => scope.Contains(e.IntegrationId)).Select(e => e.Id);
            query = query.Where(s => s.OwnerId == owner && reachable.Contains(s.EventTypeId));
        }

        if (eventTypeId is { } id)
        {
            query = query.Where(s => s.EventTypeId == id);
        }

        var rows = await query.OrderByDescending(s => s.CreatedUtc).ToListAsync(ct);
        var names = await db.EventTypes.AsNoTracking().ToDictionaryAsync(e => e.Id, e => e.Name, ct);
        var ids = rows.Select(r => r.Id).ToList();
        var last = (await db.Deliveries.AsNoTracking().Where(d => d.TargetKind == SubscriptionTarget && ids.Contains(d.TargetId)).Select(d => new { d.TargetId, d.State, d.CreatedUtc }).ToListAsync(ct))
            .GroupBy(d => d.TargetId).ToDictionary(g => g.Key, g => g.OrderByDescending(d => d.CreatedUtc).First().State);
        // A target URL may carry a credential: whole for an administrator and for the key that subscribed it (it sent
        // the URL), without user-info and with token-like parameters masked for Support.
        var admin = PortalCaller.IsAdmin(caller);
        var self = OwnerOf(caller);
        return rows.Select(s => new SubscriptionView(s.Id, names.GetValueOrDefault(s.EventTypeId, "?"),
            admin || s.OwnerId == self ? s.TargetUrl : Redaction.Url(s.TargetUrl), s.CreatedUtc, s.OwnerName, last.GetValueOrDefault(s.Id))).ToList();
    }

    public async Task UnsubscribeAsync(ClaimsPrincipal caller, Guid id, CancellationToken ct = default)
    {
        var subscription = await db.Subscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null || (!caller.IsInRole(PortalRoles.Admin) && subscription.OwnerId != OwnerOf(caller)))
        {
            throw new NotFoundException($"No subscription with id {id}.");
        }

        db.Subscriptions.Remove(subscription);
        await db.SaveChangesAsync(ct);
        await deliveries.CancelPendingAsync(SubscriptionTarget, id, ct);
    }

    /// <summary>
    /// Data tracking, inside the receiver's write transaction: each change fires the listener's matching event
    /// types. Without a script the record is the payload and is staged as a message at once (outbox); with one,
    /// the change is staged as a <see cref="PendingEvent"/> and its script runs after the commit
    /// (<see cref="RunPendingAsync"/>), so a slow script never holds the writer. Never fails the request.
    /// </summary>
    public async Task<List<Delivery>> StageAsync(Guid integrationId, Guid listenerId, IReadOnlyList<RecordChange> changes, CancellationToken ct)
    {
        var staged = new List<Delivery>();
        if (changes.Count == 0)
        {
            return staged;
        }

        var types = await db.EventTypes.AsNoTracking().Where(e => e.ListenerId == listenerId && e.Enabled).ToListAsync(ct);
        if (types.Count == 0)
        {
            return staged;
        }

        List<Webhook>? webhooks = null;
        foreach (var change in changes)
        {
            foreach (var type in types.Where(t => t.Actions.Contains(change.Action)))
            {
                var record = change.Record.ToJsonString();
                if (!string.IsNullOrWhiteSpace(type.Script))
                {
                    var pending = new PendingEvent { Id = Guid.NewGuid(), IntegrationId = integrationId, EventTypeId = type.Id, Action = change.Action, RecordJson = record, CreatedUtc = time.GetUtcNow().UtcDateTime };
                    db.PendingEvents.Add(pending);
                    pendingAfterCommit.Add(pending.Id);
                    continue;
                }

                webhooks ??= await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == integrationId && w.Enabled).ToListAsync(ct);
                staged.AddRange(await StageMessageAsync(type, record, webhooks, ct));
            }
        }

        return staged;
    }

    /// <summary>After the receiver's commit: hands the scripted changes of the batch to Hangfire.</summary>
    public void DispatchPending()
    {
        foreach (var id in pendingAfterCommit)
        {
            try
            {
                jobs.Enqueue<EventService>(e => e.RunPendingAsync(id, CancellationToken.None));
            }
            catch (Exception ex)
            {
                // The pending event is committed: the sweep picks it up.
                logger.LogWarning(ex, "Could not hand pending event {PendingEventId} to Hangfire; the sweep will.", id);
            }
        }

        pendingAfterCommit.Clear();
    }

    /// <summary>
    /// Runs a pending event's payload script outside any transaction, then stages the message (or logs the script's
    /// error) and removes the pending row in one transaction; a second run of the same row finds it gone and stops.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task RunPendingAsync(Guid id, CancellationToken ct = default)
    {
        var pending = await db.PendingEvents.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (pending is null)
        {
            return;
        }

        var type = await db.EventTypes.AsNoTracking().FirstOrDefaultAsync(e => e.Id == pending.EventTypeId && e.Enabled, ct);
        string? payload = null;
        string? error = null;
        if (type is not null)
        {
            try
            {
                payload = Payload(type, pending.RecordJson, pending.Action);
            }
            catch (UnprocessableException ex)
            {
                error = ex.Message;
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (await db.PendingEvents.Where(p => p.Id == id).ExecuteDeleteAsync(ct) == 0)
        {
            return;
        }

        var staged = new List<Delivery>();
        if (type is not null && error is not null)
        {
            logger.LogWarning("The payload script of event type {EventType} failed; the event was not sent: {Error}", type.Name, error);
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = time.GetUtcNow().UtcDateTime,
                Direction = LogDirection.Outbound,
                IntegrationId = pending.IntegrationId,
                SourceId = type.Id,
                Name = type.Name,
                Method = "EVENT",
                Path = $"event:{type.Name}/{pending.Action}",
                State = LogState.Error,
                Error = "The payload script failed; the event was not sent: " + error,
                RequestBody = pending.RecordJson,
            });
        }
        else if (type is not null && payload is not null)
        {
            var webhooks = await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == pending.IntegrationId && w.Enabled).ToListAsync(ct);
            staged = await StageMessageAsync(type, payload, webhooks, ct);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        deliveries.Dispatch(staged);
    }

    /// <summary>Hands pending events that lost their Hangfire job (a restart with in-memory storage) back to it.</summary>
    public async Task<int> SweepPendingAsync(CancellationToken ct = default)
    {
        var before = time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(30);
        pendingAfterCommit.AddRange(await db.PendingEvents.AsNoTracking().Where(p => p.CreatedUtc < before).OrderBy(p => p.CreatedUtc).Select(p => p.Id).Take(1000).ToListAsync(ct));
        var count = pendingAfterCommit.Count;
        DispatchPending();
        return count;
    }

    private async Task<List<Delivery>> StageMessageAsync(EventType type, string payload, List<Webhook> webhooks, CancellationToken ct)
    {
        var subscriptions = await db.Subscriptions.AsNoTracking().Where(s => s.EventTypeId == type.Id).ToListAsync(ct);
        var targets = subscriptions.Select(s => new DeliveryRequest(SubscriptionTarget, s.Id, $"{type.Name} → {Redaction.Url(s.TargetUrl)}", s.TargetUrl))
            .Concat(webhooks.Where(w => w.Accepts(type.Name)).Select(w => new DeliveryRequest(DeliveryTargets.Webhook, w.Id, w.Name, w.PostUrl)))
            .ToList();
        return deliveries.Stage(type.IntegrationId, type.Name, payload, targets).Deliveries;
    }

    private string? Payload(EventType type, string record, string action) => Payload(type.Script, record, action);

    private string? Payload(string? script, string record, string action)
    {
        if (string.IsNullOrWhiteSpace(script))
        {
            return record;
        }

        try
        {
            return scripts.Run(script, record, JsonSerializer.Serialize(action));
        }
        catch (ScriptException ex)
        {
            throw new UnprocessableException(ex.Line is { } line ? $"Line {line}: {ex.Message}" : ex.Message);
        }
    }

    private async Task<List<string>> SamplesAsync(EventType type, int count, CancellationToken ct)
    {
        var listener = await db.Listeners.AsNoTracking().FirstOrDefaultAsync(l => l.Id == type.ListenerId, ct);
        var schema = listener?.GetSchema();
        if (listener is null || schema is null)
        {
            return [];
        }

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var store = new RecordReader(db.Database.GetDbConnection(), null, SqlDialect.For(db.Database.IsSqlite()), listener.Id, schema);
            var latest = await store.LatestAsync(count, ct);
            if (latest.Count > 0)
            {
                return latest.Select(r => r.ToJsonString()).ToList();
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        if (listener.SampleJson is null)
        {
            return [];
        }

        using var sample = JsonDocument.Parse(listener.SampleJson);
        return SchemaInference.RecordsAt(sample.RootElement, schema.RootPath, "sample").Take(count).Select(r => r.GetRawText()).ToList();
    }

    private async Task<EventType> ByNameAsync(string? name, Guid? integrationId, IReadOnlyCollection<Guid>? scope, CancellationToken ct)
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

    private static string OwnerOf(ClaimsPrincipal caller) => caller.FindFirstValue(ClaimTypes.NameIdentifier) ?? caller.Identity?.Name ?? "unknown";

    /// <summary>Validates and applies the input; on update, what was left out keeps its value.</summary>
    private async Task ApplyAsync(EventType entity, EventTypeInput input, bool creating, CancellationToken ct)
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

    private async Task<EventType> FindAsync(Guid id, CancellationToken ct) =>
        await db.EventTypes.FirstOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException($"No event type with id {id}.");

    private async Task<IReadOnlyList<EventTypeView>> ViewsAsync(List<EventType> rows, CancellationToken ct)
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
