using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Webhooks;

/// <summary>The mint webhooks API's webhook object (docs/compatibility.md#mint-webhooks-api): times in epoch milliseconds, <c>orgId</c> = the integration's name.</summary>
public sealed record WebhookView(
    long Created, string? CreatedBy, bool Enabled, Guid Id, string Name, string OrgId, string PostUrl, long Updated, string? UpdatedBy,
    IReadOnlyList<string> EventTypes, IReadOnlyDictionary<string, string> Headers, Guid IntegrationId, bool HeadersMasked = false)
{
    /// <summary>What a non-administrator sees instead of a custom header's value (an API key, a token…).</summary>
    public const string MaskedValue = "••••••";
}

public sealed record WebhookList(int TotalRecords, IReadOnlyList<WebhookView> Webhooks);

/// <summary>The fields a create or update may carry; null = not sent.</summary>
public sealed record WebhookInput(string? Name, string? PostUrl, bool? Enabled, List<string>? EventTypes, Dictionary<string, string>? Headers)
{
    /// <summary>Reads seed-shaped JSON: <c>postURL</c> or <c>postUrl</c>, <c>enabled</c> as a boolean or "true"/"false".</summary>
    public static WebhookInput Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new PortalValidationException("body", "The body must be a JSON object.");
        }

        string? Text(params string[] names)
        {
            foreach (var name in names)
            {
                if (body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                {
                    return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new PortalValidationException(name, $"'{name}' must be a string.");
                }
            }

            return null;
        }

        bool? enabled = null;
        if (body.TryGetProperty("enabled", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            enabled = e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String when bool.TryParse(e.GetString(), out var b) => b,
                _ => throw new PortalValidationException("enabled", "'enabled' must be true or false (a boolean or the strings \"true\"/\"false\")."),
            };
        }

        List<string>? eventTypes = null;
        if (body.TryGetProperty("eventTypes", out var types) && types.ValueKind != JsonValueKind.Null)
        {
            if (types.ValueKind != JsonValueKind.Array || types.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(t.GetString())))
            {
                throw new PortalValidationException("eventTypes", "'eventTypes' must be an array of event type names.");
            }

            eventTypes = types.EnumerateArray().Select(t => t.GetString()!.Trim()).Distinct(StringComparer.Ordinal).ToList();
        }

        Dictionary<string, string>? headers = null;
        if (body.TryGetProperty("headers", out var h) && h.ValueKind != JsonValueKind.Null)
        {
            if (h.ValueKind != JsonValueKind.Object || h.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
            {
                throw new PortalValidationException("headers", "'headers' must be an object of header names to string values.");
            }

            headers = h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }

        return new WebhookInput(Text("name"), Text("postURL", "postUrl"), enabled, eventTypes, headers);
    }
}

public sealed class WebhookService(
    PortalDbContext db, IDataProtectionProvider protection, DeliveryService deliveries, IOptions<OutboundOptions> outbound, TimeProvider time, PortalCaller caller)
{
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length", "host", "user-agent", "transfer-encoding",
    };

    public async Task<Integration> FindOrgAsync(string org, CancellationToken ct) =>
        await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.Name == org, ct) ?? throw new NotFoundException($"No organization (integration) named '{org}'.");

    public async Task<WebhookList> ListAsync(string org, CancellationToken ct = default)
    {
        var integration = await FindOrgAsync(org, ct);
        var rows = await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == integration.Id).OrderBy(w => w.CreatedUtc).ToListAsync(ct);
        var reveal = await caller.IsAdminAsync();
        return new WebhookList(rows.Count, rows.Select(w => ToView(w, integration.Name, reveal)).ToList());
    }

    public async Task<IReadOnlyList<WebhookView>> ListAllAsync(CancellationToken ct = default)
    {
        var rows = await db.Webhooks.AsNoTracking().Include(w => w.Integration).OrderBy(w => w.Name).ToListAsync(ct);
        var reveal = await caller.IsAdminAsync();
        return rows.Select(w => ToView(w, w.Integration!.Name, reveal)).ToList();
    }

    public async Task<WebhookView> GetAsync(string org, Guid id, CancellationToken ct = default)
    {
        var integration = await FindOrgAsync(org, ct);
        return ToView(await FindAsync(integration.Id, id, ct), integration.Name, await caller.IsAdminAsync());
    }

    public async Task<WebhookView> GetByIdAsync(Guid id, CancellationToken ct = default)
    {
        var webhook = await db.Webhooks.AsNoTracking().Include(w => w.Integration).FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        return ToView(webhook, webhook.Integration!.Name, await caller.IsAdminAsync());
    }

    public async Task<WebhookView> CreateAsync(Guid integrationId, WebhookInput input, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create webhooks");
        var integration = await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.Id == integrationId, ct) ?? throw new NotFoundException($"No integration with id {integrationId}.");
        Validate(input, creating: true);
        var now = time.GetUtcNow().UtcDateTime;
        var webhook = new Webhook
        {
            Id = Guid.NewGuid(),
            IntegrationId = integration.Id,
            Name = input.Name!.Trim(),
            PostUrl = input.PostUrl!.Trim(),
            Enabled = input.Enabled ?? true,
            ProtectedSecret = WebhookSecrets.Protect(protection, Signer.NewSecret()),
            EventTypesJson = input.EventTypes is { Count: > 0 } ? JsonSerializer.Serialize(input.EventTypes) : null,
            HeadersJson = input.Headers is { Count: > 0 } ? JsonSerializer.Serialize(input.Headers) : null,
            CreatedUtc = now,
            CreatedBy = user,
            UpdatedUtc = now,
            UpdatedBy = user,
        };
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return ToView(webhook, integration.Name, reveal: true);
    }

    /// <summary>Changes only the fields sent (the seed's PUT sends just the new postURL).</summary>
    public async Task<WebhookView> UpdateAsync(Guid integrationId, Guid id, WebhookInput input, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change webhooks");
        var webhook = await FindAsync(integrationId, id, ct);
        Validate(input, creating: false);
        if (input.Name is not null)
        {
            webhook.Name = input.Name.Trim();
        }

        if (input.PostUrl is not null)
        {
            webhook.PostUrl = input.PostUrl.Trim();
        }

        if (input.Enabled is { } enabled)
        {
            webhook.Enabled = enabled;
        }

        if (input.EventTypes is not null)
        {
            webhook.EventTypesJson = input.EventTypes.Count > 0 ? JsonSerializer.Serialize(input.EventTypes) : null;
        }

        if (input.Headers is not null)
        {
            webhook.HeadersJson = input.Headers.Count > 0 ? JsonSerializer.Serialize(input.Headers) : null;
        }

        webhook.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        webhook.UpdatedBy = user;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        var integration = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == webhook.IntegrationId, ct);
        return ToView(webhook, integration.Name, reveal: true);
    }

    public async Task<WebhookView> SetEnabledAsync(Guid id, bool enabled, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("enable or disable webhooks");
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        return await UpdateAsync(webhook.IntegrationId, id, new WebhookInput(null, null, enabled, null, null), user, ct);
    }

    /// <summary>forceDelete=false with deliveries pending is refused (409); true cancels them first.</summary>
    public async Task DeleteAsync(Guid integrationId, Guid id, bool force, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete webhooks");
        var webhook = await FindAsync(integrationId, id, ct);

        // The check and the delete share one transaction, so a delivery published in between is never cancelled by a non-forced delete.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (force)
        {
            await deliveries.CancelPendingAsync(DeliveryTargets.Webhook, id, ct);
        }
        else if (await deliveries.CountPendingAsync(DeliveryTargets.Webhook, id, ct) is > 0 and var pending)
        {
            throw new ConflictException($"The webhook has {pending} pending deliveries; delete with forceDelete=true to cancel them.");
        }

        db.Webhooks.Remove(webhook);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        db.ChangeTracker.Clear();
    }

    public async Task<string> GetSecretAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("read signing secrets");
        var webhook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        return WebhookSecrets.Unprotect(protection, webhook.ProtectedSecret);
    }

    public async Task<string> RotateSecretAsync(Guid id, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("rotate signing secrets");
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        var secret = Signer.NewSecret();
        webhook.ProtectedSecret = WebhookSecrets.Protect(protection, secret);
        webhook.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        webhook.UpdatedBy = user;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return secret;
    }

    /// <summary>Publishes to every enabled webhook of the integration whose event-type filter matches.</summary>
    public async Task<Message> PublishAsync(Guid integrationId, string? eventType, System.Text.Json.JsonElement? payload, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("publish events");
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(eventType) || eventType.Length > 200)
        {
            errors["eventType"] = ["The event type is required (at most 200 characters)."];
        }

        if (payload is not { } body || body.ValueKind == JsonValueKind.Undefined)
        {
            errors["payload"] = ["The payload is required (any JSON value)."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        if (!await db.Integrations.AnyAsync(i => i.Id == integrationId, ct))
        {
            throw new NotFoundException($"No integration with id {integrationId}.");
        }

        var targets = (await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == integrationId && w.Enabled).ToListAsync(ct))
            .Where(w => w.Accepts(eventType!))
            .Select(w => new DeliveryRequest(DeliveryTargets.Webhook, w.Id, w.Name, w.PostUrl))
            .ToList();
        return await deliveries.PublishAsync(integrationId, eventType!.Trim(), payload!.Value.GetRawText(), targets, ct);
    }

    /// <summary>Sends a sample event to this webhook only, through the delivery engine (signed, retried, logged).</summary>
    public async Task<Message> SendTestAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("send test events");
        var webhook = await db.Webhooks.AsNoTracking().Include(w => w.Integration).FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        if (!webhook.Enabled)
        {
            throw new ConflictException("The webhook is disabled; enable it to send a test event.");
        }

        var payload = JsonSerializer.Serialize(new
        {
            eventType = "webhook.test",
            orgName = webhook.Integration!.Name,
            webhookId = webhook.Id,
            triggerTime = time.GetUtcNow().ToUnixTimeMilliseconds(),
            message = "This is a test event sent from WebhookPortal.",
        });
        return await deliveries.PublishAsync(webhook.IntegrationId, "webhook.test", payload, [new DeliveryRequest(DeliveryTargets.Webhook, webhook.Id, webhook.Name, webhook.PostUrl)], ct);
    }

    private void Validate(WebhookInput input, bool creating)
    {
        var errors = new Dictionary<string, string[]>();
        if (creating || input.Name is not null)
        {
            if (string.IsNullOrWhiteSpace(input.Name))
            {
                errors["name"] = ["The name is required."];
            }
            else if (input.Name.Trim().Length > Webhook.NameMaxLength)
            {
                errors["name"] = [$"The name must be at most {Webhook.NameMaxLength} characters."];
            }
        }

        if (creating || input.PostUrl is not null)
        {
            if (UrlGuard.ValidateUrl(input.PostUrl, outbound.Value.AllowedHosts) is { } urlError)
            {
                errors["postUrl"] = [urlError];
            }
            else if (input.PostUrl!.Trim().Length > Webhook.UrlMaxLength)
            {
                errors["postUrl"] = [$"The URL must be at most {Webhook.UrlMaxLength} characters."];
            }
        }

        if (input.Headers is not null)
        {
            var bad = input.Headers.Keys.Where(k => ReservedHeaders.Contains(k) || k.Any(c => char.IsWhiteSpace(c) || c == ':')).ToList();
            if (bad.Count > 0)
            {
                errors["headers"] = [$"These headers cannot be set: {string.Join(", ", bad)}."];
            }
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }
    }

    private async Task<Webhook> FindAsync(Guid integrationId, Guid id, CancellationToken ct) =>
        await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id && w.IntegrationId == integrationId, ct) ?? throw new NotFoundException($"No webhook with id {id}.");

    /// <summary>
    /// Custom header values are credentials more often than not: only administrators see them (names stay visible).
    /// So may the URL be (<c>?api_key=</c>, <c>user:pass@</c>): others get it without user-info, token-like parameters masked.
    /// </summary>
    private static WebhookView ToView(Webhook w, string org, bool reveal)
    {
        var headers = w.Headers;
        var masked = !reveal && headers.Count > 0;
        return new(
            new DateTimeOffset(w.CreatedUtc, TimeSpan.Zero).ToUnixTimeMilliseconds(), w.CreatedBy, w.Enabled, w.Id, w.Name, org, reveal ? w.PostUrl : WebhookPortal.Features.Logs.Redaction.Url(w.PostUrl),
            new DateTimeOffset(w.UpdatedUtc, TimeSpan.Zero).ToUnixTimeMilliseconds(), w.UpdatedBy, w.EventTypes,
            masked ? headers.ToDictionary(h => h.Key, _ => WebhookView.MaskedValue) : headers, w.IntegrationId, masked);
    }
}
