using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.PortalEvents;

namespace WebhookPortal.Features.Webhooks;

/// <summary>
/// A webhook: its current URL, signing secret, custom headers and retry schedule. It keeps the webhook's health and
/// acts as its circuit breaker. A success makes it healthy; a failure makes it failing (since then), and while it is
/// failing one probe attempt goes at a time and every other delivery waits for it (half-open) — when the probe
/// succeeds the backlog goes at once. 410 Gone disables it at once and only failures for Delivery:DisableAfter disable
/// it; a disabled webhook's deliveries are held until it is enabled again, a deleted one's are cancelled.
/// One instance serves one attempt (a scope per attempt). The webhook row comes with the worker's read of the delivery
/// (found tracked in the attempt's context) and is read here only when it did not come with it; the later steps reuse it.
/// </summary>
public sealed class WebhookDeliveryTarget(SigningSecretCache secrets, PublishRoutes routes, IOptions<DeliveryOptions> options, DeliveryOutbox outbox, PortalEventRaiser portalEvents, TimeProvider time) : IDeliveryTarget
{
    private Webhook? webhook;
    private bool disabled;

    public DeliveryTargetKind Kind => DeliveryTargetKind.Webhook;

    // The worker's read of the delivery brings its webhook too (DeliveryWorker): found tracked, it is not read again.
    // FindAsync looks in the context's identity map first: DbSet.Local, used before, built a view of the tracked
    // webhooks and kept it in step with every later change the attempt's context tracked (~1 % of the drain's CPU,
    // issue 17). A webhook that is not tracked is read (none: deleted).
    private async Task<Webhook?> LoadAsync(PortalDbContext db, Delivery delivery, CancellationToken ct) =>
        webhook is not null && webhook.Id == delivery.TargetId
            ? webhook
            : webhook = await db.Webhooks.FindAsync([delivery.TargetId], ct);

    public async Task<Admission> AdmitAsync(PortalDbContext db, Delivery delivery, CancellationToken ct)
    {
        var hook = await LoadAsync(db, delivery, ct);
        if (hook is null)
        {
            return Admission.Go; // deleted: ResolveAsync cancels it
        }

        if (!hook.Enabled)
        {
            return Admission.Hold("Held: the webhook is disabled; enabling it sends this delivery.");
        }

        if (hook.FailingSinceUtc is null)
        {
            return Admission.Go;
        }

        // Failing: whoever moves the probe time forward is the probe; the lease covers the attempt, after which
        // AfterAttemptAsync sets the real next probe time (or clears it on success).
        var now = time.GetUtcNow().UtcDateTime;
        var lease = now + options.Value.ConnectTimeout + options.Value.ReadTimeout + options.Value.LeaseMargin;
        var won = await db.Webhooks.Where(w => w.Id == hook.Id && (w.ProbeAfterUtc == null || w.ProbeAfterUtc <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.ProbeAfterUtc, lease), ct);
        if (won == 1)
        {
            AlreadyStored(db, hook, nameof(Webhook.ProbeAfterUtc), lease);
            return Admission.Go;
        }

        var probeAt = await db.Webhooks.Where(w => w.Id == hook.Id).Select(w => w.ProbeAfterUtc).FirstOrDefaultAsync(ct) ?? now;
        return Admission.WaitUntil(probeAt > now ? probeAt : now + TimeSpan.FromSeconds(1),
            $"Waiting: the webhook has failed since {hook.FailingSinceUtc:yyyy-MM-dd HH:mm:ss} UTC; a single probe goes first and this delivery follows when it succeeds.");
    }

    public async Task<bool> AdmissionStandsAsync(PortalDbContext db, Delivery delivery, Admission admission, CancellationToken ct)
    {
        // Read again, not the row AdmitAsync loaded: the point is what changed since.
        var current = await db.Webhooks.AsNoTracking().Where(w => w.Id == delivery.TargetId).Select(w => new { w.Enabled, w.FailingSinceUtc }).FirstOrDefaultAsync(ct);
        if (current is null)
        {
            return true; // deleted: its deliveries are cancelled with it
        }

        return admission.Kind == AdmissionKind.Hold ? !current.Enabled : current.FailingSinceUtc is not null;
    }

    public async Task<IReadOnlyList<Guid>> NoLongerHoldingAsync(PortalDbContext db, CancellationToken ct) =>
        await db.Webhooks.AsNoTracking()
            .Where(w => w.Enabled && db.Deliveries.Any(d => d.TargetKind == DeliveryTargetKind.Webhook && d.TargetId == w.Id && d.State == DeliveryState.Held))
            .Select(w => w.Id)
            .ToListAsync(ct);

    public async Task<ResolvedTarget?> ResolveAsync(PortalDbContext db, Delivery delivery, CancellationToken ct)
    {
        var hook = await LoadAsync(db, delivery, ct);
        if (hook is null || !hook.Enabled)
        {
            return null;
        }

        // The webhook's URL may have changed since the delivery was staged: send (and record) the current one.
        delivery.Url = hook.PostUrl;
        var previous = hook.PreviousProtectedSecret is not null && hook.PreviousSecretExpiresUtc > time.GetUtcNow().UtcDateTime
            ? secrets.Reveal(hook.PreviousProtectedSecret)
            : null;
        return new ResolvedTarget(hook.Name, secrets.Reveal(hook.ProtectedSecret), hook.Headers, RetrySchedule: hook.RetrySchedule, PreviousSecret: previous);
    }

    public async Task<string?> AfterAttemptAsync(PortalDbContext db, Delivery delivery, AttemptOutcome outcome, CancellationToken ct)
    {
        var hook = await LoadAsync(db, delivery, ct);
        if (hook is null)
        {
            return null;
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (outcome.IsSuccess)
        {
            if (hook.FailingSinceUtc is not null || hook.ProbeAfterUtc is not null)
            {
                // The probe got through: healthy again, committed first so that the released deliveries go straight out.
                hook.FailingSinceUtc = null;
                hook.ProbeAfterUtc = null;
                await db.Webhooks.Where(w => w.Id == hook.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(w => w.FailingSinceUtc, (DateTime?)null).SetProperty(w => w.ProbeAfterUtc, (DateTime?)null), ct);
                db.Entry(hook).State = EntityState.Unchanged;
                await outbox.ReleaseAsync(DeliveryTargetKind.Webhook, hook.Id, ct);
            }

            return null;
        }

        if (outcome.Status == 410)
        {
            // Standard Webhooks: 410 Gone means "stop sending"; the rest of its deliveries are held (enabling it sends them).
            await DisableOnceAsync(db, hook, now, "The receiver answered 410 Gone.", Webhook.DisabledByGone, ct);
            return "The receiver answered 410 Gone: the webhook was disabled.";
        }

        if (hook.FailingSinceUtc is null)
        {
            // Several attempts may fail at once (a lane runs a few): only the one that marks it failing raises the event.
            var entered = await db.Webhooks.Where(w => w.Id == hook.Id && w.FailingSinceUtc == null).ExecuteUpdateAsync(s => s.SetProperty(w => w.FailingSinceUtc, now), ct) == 1;
            var since = entered ? now : await db.Webhooks.Where(w => w.Id == hook.Id).Select(w => w.FailingSinceUtc).SingleAsync(ct) ?? now;
            AlreadyStored(db, hook, nameof(Webhook.FailingSinceUtc), since);
            if (entered)
            {
                await portalEvents.RaiseAsync(db, PortalEventTypes.WebhookFailing, hook, $"An attempt failed: {outcome.Error ?? "no answer"}", ct);
            }
        }

        // The next probe goes when this delivery's next attempt is due, or after the schedule's longest delay when it has none left.
        var schedule = options.Value.ScheduleFor(hook.RetrySchedule);
        hook.ProbeAfterUtc = delivery.State == DeliveryState.Pending ? delivery.NextAttemptUtc : now + (schedule.Delays.Count > 0 ? schedule.Delays.Max() : options.Value.RetryInterval);
        var disableAfter = options.Value.DisableAfter;
        if (hook.Enabled && hook.FailingSinceUtc is { } failingSince && now - failingSince >= disableAfter)
        {
            await DisableOnceAsync(db, hook, now, $"Every attempt failed for {RetrySchedule.Words(disableAfter)} (since {hook.FailingSinceUtc:yyyy-MM-dd HH:mm} UTC; Delivery:DisableAfter).", Webhook.DisabledByFailureRule, ct);
            return (outcome.Error is null ? "" : outcome.Error + " ") + "The webhook was disabled: it has only failed for " + RetrySchedule.Words(disableAfter) + ".";
        }

        return null;
    }

    /// <summary>
    /// A value a conditional update already wrote: the tracked row shows it, and the attempt's save does not write it
    /// again (setting only IsModified = false would put the old value back).
    /// </summary>
    private static void AlreadyStored(PortalDbContext db, Webhook hook, string property, object? value)
    {
        var entry = db.Entry(hook).Property(property);
        entry.OriginalValue = value;
        entry.CurrentValue = value;
        entry.IsModified = false;
    }

    /// <summary>A webhook this attempt disabled no longer takes new publishes (<see cref="PublishRoutes"/>).</summary>
    public void AfterCommit(Delivery delivery)
    {
        if (disabled)
        {
            routes.Invalidate();
        }
    }

    /// <summary>Disables the webhook unless another attempt (or a person) just did; only the one that disabled it raises the event.</summary>
    private async Task DisableOnceAsync(PortalDbContext db, Webhook hook, DateTime now, string reason, string by, CancellationToken ct)
    {
        var won = await db.Webhooks.Where(w => w.Id == hook.Id && w.Enabled)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.Enabled, false).SetProperty(w => w.DisabledUtc, now).SetProperty(w => w.DisabledReason, reason).SetProperty(w => w.DisabledBy, by), ct) == 1;
        AlreadyStored(db, hook, nameof(Webhook.Enabled), false);
        AlreadyStored(db, hook, nameof(Webhook.DisabledUtc), now);
        AlreadyStored(db, hook, nameof(Webhook.DisabledReason), reason);
        AlreadyStored(db, hook, nameof(Webhook.DisabledBy), by);

        if (won)
        {
            disabled = true;
            await portalEvents.RaiseAsync(db, PortalEventTypes.WebhookDisabled, hook, reason, ct);

            // The conditional update is invisible to the audit interceptor: the portal's own decision is recorded here,
            // committing with the attempt.
            Audit.AuditLog.Stage(db, "webhook.disabled", Audit.AuditResources.Webhook, hook.Id.ToString(), hook.Name, reason,
                new { enabled = false, disabledBy = by, reason }, Audit.AuditSeverity.Warning, Audit.AuditActor.System(by == Webhook.DisabledByGone ? "receiver answered 410 Gone" : "delivery failure rule"));
        }
    }
}
