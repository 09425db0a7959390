using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WebhookPortal.Features.Audit;

/// <summary>
/// Records the Added, Modified and Deleted entries of the audited entity types (<see cref="AuditRules"/>) in the same
/// SaveChanges, so that a change and its audit entry commit together. Entity types that are not configuration
/// (deliveries, messages, log entries…) cost one dictionary lookup each; a save with none of them adds nothing.
/// Audit entries staged explicitly (<see cref="AuditLog"/>) get their actor and time here too.
/// </summary>
public sealed class AuditInterceptor(AuditActors actors, TimeProvider time) : SaveChangesInterceptor
{
    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context)
        {
            await AuditAsync(context, cancellationToken);
        }

        return result;
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } context)
        {
            AuditAsync(context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        return result;
    }

    private async ValueTask AuditAsync(DbContext context, CancellationToken ct)
    {
        List<AuditRules.Draft>? drafts = null;
        List<AuditEntry>? staged = null;
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.Entity is AuditEntry audit)
            {
                if (entry.State == EntityState.Added && (audit.ActorKind is null || audit.TimeUtc == default))
                {
                    (staged ??= []).Add(audit);
                }

                continue;
            }

            if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && AuditRules.IsAudited(entry.Metadata.ClrType))
            {
                AuditRules.Describe(entry, drafts ??= []);
            }
        }

        if (drafts is not { Count: > 0 } && staged is null)
        {
            return;
        }

        var actor = await actors.CurrentAsync();
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var draft in drafts ?? [])
        {
            if (draft.Rule.ResolveAsync is { } resolve)
            {
                await resolve(context, draft.Entity, draft.Entry, ct);
            }

            Stamp(draft.Entry, actor, now);
            context.Add(draft.Entry);
        }

        foreach (var entry in staged ?? [])
        {
            Stamp(entry, actor, now);
        }
    }

    private static void Stamp(AuditEntry entry, AuditActor actor, DateTime now)
    {
        if (entry.ActorKind is null)
        {
            entry.ActorKind = actor.Kind;
            entry.ActorId = entry.ActorId ?? actor.Id;
            entry.ActorName = entry.ActorName ?? AuditRules.Truncate(actor.Name, 256);
            entry.Address = entry.Address ?? actor.Address;
        }

        if (entry.TimeUtc == default)
        {
            entry.TimeUtc = now;
        }
    }
}
