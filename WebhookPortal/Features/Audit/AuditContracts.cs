using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Audit;

/// <summary>A search of the trail: filters (null or empty = any), newest first, one page of it.</summary>
/// <param name="Actor">Part of the actor's name (email, key name) or the actor's id, any case.</param>
/// <param name="Resource">A resource type (<see cref="AuditResources"/>).</param>
/// <param name="Action">An action (<c>listener.auth_changed</c>) or a resource's actions (<c>listener</c>).</param>
/// <param name="Q">Free text: actor, resource name or id, action, summary, address.</param>
public sealed record AuditQuery(string? Actor = null, string? Resource = null, string? Action = null, DateTime? From = null, DateTime? To = null, string? Q = null,
    string? ResourceId = null, int Page = 1, int PageSize = 50);

/// <summary>One row of the trail.</summary>
public sealed record AuditItem(long Id, DateTime Time, string ActorKind, string? ActorId, string? ActorName, string? Address, string Action,
    string ResourceType, string? ResourceId, string? ResourceName, string Severity, string? Summary);

/// <summary>One page of a search and how many entries matched in all.</summary>
public sealed record AuditPage(int Total, IReadOnlyList<AuditItem> Items);

/// <summary>One changed field: its value before and after, as JSON text (secrets masked).</summary>
public sealed record AuditChange(string Field, string? Before, string? After);

/// <summary>An entry with its change: the before/after JSON and the field-by-field diff.</summary>
public sealed record AuditDetail(AuditItem Entry, string? Before, string? After, IReadOnlyList<AuditChange> Changes);

/// <summary>Section <c>Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>Entries older than this are deleted by the retention job, in batches of <c>Retention:BatchSize</c>.</summary>
    [Range(1, 36500)]
    public int RetentionDays { get; set; } = 365;
}
