using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Features.Audit;

/// <summary>
/// Records what is not an entity change: sign-ins and failed sign-ins, replays, redeliveries, retention runs, and
/// deletions done without the change tracker (ExecuteDelete). The actor is the current one unless given.
/// </summary>
public sealed class AuditLog(IDbContextFactory<PortalDbContext> dbFactory, ILogger<AuditLog> logger)
{
    /// <summary>Writes one entry in its own context (after the action it records).</summary>
    public async Task RecordAsync(string action, string resourceType, string? resourceId, string? resourceName, string? summary = null,
        object? details = null, string severity = AuditSeverity.Info, AuditActor? actor = null, CancellationToken ct = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            db.Add(Entry(action, resourceType, resourceId, resourceName, summary, details, severity, actor));
            await db.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException)
        {
            // The action happened; a trail that cannot be written must not undo it or hide it from the caller.
            logger.LogError(ex, "Could not record {Action} of {ResourceType} {ResourceId} in the audit trail.", action, resourceType, resourceId);
        }
    }

    /// <summary>Adds an entry to <paramref name="db"/>: it commits with the caller's next SaveChanges (in its transaction).</summary>
    public static AuditEntry Stage(DbContext db, string action, string resourceType, string? resourceId, string? resourceName, string? summary = null,
        object? details = null, string severity = AuditSeverity.Info, AuditActor? actor = null)
    {
        var entry = Entry(action, resourceType, resourceId, resourceName, summary, details, severity, actor);
        db.Add(entry);
        return entry;
    }

    /// <summary>
    /// Stages the deletion of entities removed with ExecuteDelete (read before, untracked): the same masked snapshot as
    /// a tracked deletion. Commits with the caller's next SaveChanges.
    /// </summary>
    public static void StageDeleted(DbContext db, IEnumerable<object> entities, string? note = null)
    {
        var drafts = new List<AuditRules.Draft>();
        foreach (var entity in entities)
        {
            AuditRules.DescribeDeleted(db.Entry(entity), drafts, note);
        }

        foreach (var draft in drafts)
        {
            db.Add(draft.Entry);
        }
    }

    private static AuditEntry Entry(string action, string resourceType, string? resourceId, string? resourceName, string? summary, object? details, string severity, AuditActor? actor) => new()
    {
        Action = action,
        ResourceType = resourceType,
        ResourceId = AuditRules.Truncate(resourceId, 64),
        ResourceName = AuditRules.Truncate(resourceName, 256),
        Summary = AuditRules.Truncate(summary, AuditEntry.SummaryMaxLength),
        After = details is null ? null : System.Text.Json.JsonSerializer.Serialize(details, Json),
        Severity = severity,
        ActorKind = actor?.Kind,
        ActorId = actor?.Id,
        ActorName = AuditRules.Truncate(actor?.Name, 256),
        Address = actor?.Address,
    };

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);
}
