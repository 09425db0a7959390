using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Webhooks;

/// <summary>Webhooks as configuration: list, read, create, change, enable and delete; a context per operation.</summary>
public sealed class WebhookCatalog(
    IDbContextFactory<PortalDbContext> dbFactory, IDataProtectionProvider protection, DeliveryOutbox outbox, IOptions<OutboundOptions> outbound, IOptions<DeliveryOptions> delivery, TimeProvider time, PortalCaller caller, PortalEvents.PortalEventRaiser portalEvents, PublishRoutes routes)
{
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "webhook-id", "webhook-timestamp", "webhook-signature", DeliveryWorker.EventTypeHeader, DeliveryWorker.AttemptHeader, "content-type", "content-length", "host", "user-agent", "transfer-encoding",
    };

    public async Task<Integration> FindOrgAsync(string org, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await FindOrgAsync(db, org, ct);
    }

    public async Task<WebhookListResponse> ListAsync(string org, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var integration = await FindOrgAsync(db, org, ct);
        var rows = await db.Webhooks.AsNoTracking().Where(w => w.IntegrationId == integration.Id).OrderBy(w => w.CreatedUtc).ToListAsync(ct);
        var reveal = await caller.IsAdminAsync();
        return new WebhookListResponse(rows.Count, rows.Select(w => ToView(w, integration.Name, reveal)).ToList());
    }

    public async Task<IReadOnlyList<WebhookView>> ListAllAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Webhooks.AsNoTracking().Include(w => w.Integration).OrderBy(w => w.Name).ToListAsync(ct);
        var reveal = await caller.IsAdminAsync();
        return rows.Select(w => ToView(w, w.Integration!.Name, reveal)).ToList();
    }

    public async Task<WebhookView> GetAsync(string org, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var integration = await FindOrgAsync(db, org, ct);
        return ToView(await FindAsync(db, integration.Id, id, ct), integration.Name, await caller.IsAdminAsync());
    }

    public async Task<WebhookView> GetByIdAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await db.Webhooks.AsNoTracking().Include(w => w.Integration).FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        return ToView(webhook, webhook.Integration!.Name, await caller.IsAdminAsync());
    }

    public async Task<WebhookView> CreateAsync(Guid integrationId, WebhookRequest input, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create webhooks");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
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
            RetrySchedule = NormalizedSchedule(input.RetrySchedule),
            CreatedUtc = now,
            CreatedBy = user,
            UpdatedUtc = now,
            UpdatedBy = user,
        };
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync(ct);
        routes.Invalidate();
        return ToView(webhook, integration.Name, reveal: true);
    }

    /// <summary>Changes only the fields sent (the seed's PUT sends just the new postURL).</summary>
    public async Task<WebhookView> UpdateAsync(Guid integrationId, Guid id, WebhookRequest input, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change webhooks");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await FindAsync(db, integrationId, id, ct);
        Validate(input, creating: false);
        if (input.Name is not null)
        {
            webhook.Name = input.Name.Trim();
        }

        if (input.PostUrl is not null)
        {
            webhook.PostUrl = input.PostUrl.Trim();
        }

        var now = time.GetUtcNow().UtcDateTime;
        var enabling = input.Enabled is true && !webhook.Enabled;
        if (input.Enabled is { } enabled && enabled != webhook.Enabled)
        {
            if (enabled)
            {
                webhook.Enable();
            }
            else
            {
                webhook.Disable(now, user is null ? "Disabled by a person." : $"Disabled by {user}.", user);
                await portalEvents.RaiseAsync(db, PortalEvents.PortalEventTypes.WebhookDisabled, webhook, webhook.DisabledReason!, ct);
            }
        }

        if (input.RetrySchedule is not null)
        {
            webhook.RetrySchedule = NormalizedSchedule(input.RetrySchedule);
        }

        if (input.EventTypes is not null)
        {
            webhook.EventTypesJson = input.EventTypes.Count > 0 ? JsonSerializer.Serialize(input.EventTypes) : null;
        }

        if (input.Headers is not null)
        {
            webhook.HeadersJson = input.Headers.Count > 0 ? JsonSerializer.Serialize(input.Headers) : null;
        }

        webhook.UpdatedUtc = now;
        webhook.UpdatedBy = user;
        var staged = db.ChangeTracker.Entries<Delivery>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        await db.SaveChangesAsync(ct);
        routes.Invalidate();
        outbox.Dispatch(staged);
        if (enabling)
        {
            // What waited while it was disabled (held deliveries) goes now.
            await outbox.ReleaseAsync(DeliveryTargetKind.Webhook, id, ct);
        }
        var integration = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == webhook.IntegrationId, ct);
        return ToView(webhook, integration.Name, reveal: true);
    }

    public async Task<WebhookView> SetEnabledAsync(Guid id, bool enabled, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("enable or disable webhooks");
        Guid integrationId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            integrationId = await db.Webhooks.Where(w => w.Id == id).Select(w => (Guid?)w.IntegrationId).FirstOrDefaultAsync(ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        }

        return await UpdateAsync(integrationId, id, new WebhookRequest(null, null, enabled, null, null), user, ct);
    }

    /// <summary>forceDelete=false with deliveries pending is refused (409); true cancels them first.</summary>
    public async Task DeleteAsync(Guid integrationId, Guid id, bool force, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete webhooks");
        // On PostgreSQL an attempt recording a failure of this webhook locks the webhook, then its delivery; this delete
        // locks them the other way round, and the database cancels one side (seen in CI as a 500 on delete).
        await TransientFailure.RetryAsync(() => DeleteOnceAsync(integrationId, id, force, ct), ct);
        routes.Invalidate();
    }

    private async Task DeleteOnceAsync(Guid integrationId, Guid id, bool force, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await FindAsync(db, integrationId, id, ct);

        // The check and the delete share one transaction, so a delivery published in between is never cancelled by a non-forced delete.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (force)
        {
            await outbox.CancelPendingAsync(db, DeliveryTargetKind.Webhook, id, ct);
        }
        else if (await DeliveryOutbox.CountPendingAsync(db, DeliveryTargetKind.Webhook, id, ct) is > 0 and var pending)
        {
            throw new ConflictException($"The webhook has {pending} pending deliveries; delete with forceDelete=true to cancel them.");
        }

        db.Webhooks.Remove(webhook);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    private void Validate(WebhookRequest input, bool creating)
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

        if (!string.IsNullOrWhiteSpace(input.RetrySchedule) && !IsDefault(input.RetrySchedule)
            && !RetrySchedule.TryParse(input.RetrySchedule, delivery.Value.MaxRetries, delivery.Value.RetryInterval, out _, out var scheduleError))
        {
            errors["retrySchedule"] = [scheduleError!];
        }
        else if (input.RetrySchedule is { Length: > Webhook.RetryScheduleMaxLength })
        {
            errors["retrySchedule"] = [$"The retry schedule must be at most {Webhook.RetryScheduleMaxLength} characters."];
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

    // "" or "default" returns a webhook to Delivery:Schedule; a preset or list is kept in its canonical spelling.
    private static bool IsDefault(string text) => text.Trim().Equals("default", StringComparison.OrdinalIgnoreCase);

    private string? NormalizedSchedule(string? text) =>
        string.IsNullOrWhiteSpace(text) || IsDefault(text) ? null
        : RetrySchedule.TryParse(text, delivery.Value.MaxRetries, delivery.Value.RetryInterval, out var schedule, out _) ? schedule.Text
        : null;

    /// <summary>The schedule a webhook's deliveries follow, in words ("8 attempts over about 27 hours"), for the form.</summary>
    public string DescribeSchedule(string? own) => delivery.Value.ScheduleFor(own).Describe();

    private static async Task<Integration> FindOrgAsync(PortalDbContext db, string org, CancellationToken ct) =>
        await db.Integrations.AsNoTracking().FirstOrDefaultAsync(i => i.Name == org, ct) ?? throw new NotFoundException($"No organization (integration) named '{org}'.");

    private static async Task<Webhook> FindAsync(PortalDbContext db, Guid integrationId, Guid id, CancellationToken ct) =>
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
            new DateTimeOffset(w.CreatedUtc, TimeSpan.Zero).ToUnixTimeMilliseconds(), w.CreatedBy, w.Enabled, w.Id, w.Name, org, reveal ? w.PostUrl : Redaction.Url(w.PostUrl),
            new DateTimeOffset(w.UpdatedUtc, TimeSpan.Zero).ToUnixTimeMilliseconds(), w.UpdatedBy, w.EventTypes,
            masked ? headers.ToDictionary(h => h.Key, _ => WebhookView.MaskedValue) : headers, w.IntegrationId, masked, w.RetrySchedule, w.Health,
            w.PreviousProtectedSecret is not null ? w.PreviousSecretExpiresUtc : null);
    }
}
