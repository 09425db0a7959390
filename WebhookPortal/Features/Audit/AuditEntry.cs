using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Audit;

/// <summary>
/// One change made by a person or a key (or, for a few actions, by the portal itself): who, when, from where, what,
/// and the change as before/after JSON with every secret masked. Written by <see cref="AuditInterceptor"/> for entity
/// changes and by <see cref="AuditLog"/> for actions that are not (sign-ins, replays, redeliveries, retention runs).
/// </summary>
public sealed class AuditEntry
{
    public const int SummaryMaxLength = 1000;

    public long Id { get; set; }

    public DateTime TimeUtc { get; set; }

    /// <summary>One of <see cref="AuditActorKinds"/>; null until the interceptor fills in who is acting.</summary>
    public string? ActorKind { get; set; }

    /// <summary>The user's id or the API key's id; null for the system and for anonymous callers.</summary>
    public string? ActorId { get; set; }

    /// <summary>The user's email, the API key's name, the job's name, or the email a failed sign-in tried.</summary>
    public string? ActorName { get; set; }

    /// <summary>The client's address as the portal resolves it (forwarded headers from known proxies only).</summary>
    public string? Address { get; set; }

    /// <summary><c>{resource}.{verb}</c>, e.g. <c>listener.auth_changed</c>, <c>user.sign_in_failed</c>.</summary>
    public required string Action { get; set; }

    /// <summary>One of <see cref="AuditResources"/>.</summary>
    public required string ResourceType { get; set; }

    public string? ResourceId { get; set; }

    public string? ResourceName { get; set; }

    /// <summary><c>info</c>, or <c>warning</c> for what weakens or rotates security (the page highlights it).</summary>
    public string Severity { get; set; } = AuditSeverity.Info;

    /// <summary>A one-line human summary of the change (searched by the free text).</summary>
    public string? Summary { get; set; }

    /// <summary>JSON object of the changed fields before (masked); null for a creation or an action.</summary>
    public string? Before { get; set; }

    /// <summary>JSON object of the changed fields after (masked); null for a deletion.</summary>
    public string? After { get; set; }
}

public static class AuditActorKinds
{
    public const string User = "user";
    public const string ApiKey = "api_key";
    public const string System = "system";
    public const string Anonymous = "anonymous";
}

public static class AuditSeverity
{
    public const string Info = "info";
    public const string Warning = "warning";
}

/// <summary>The resource types the trail records (the page's and the API's <c>resource</c> filter).</summary>
public static class AuditResources
{
    public const string Integration = "integration";
    public const string Listener = "listener";
    public const string Table = "table";
    public const string Webhook = "webhook";
    public const string Rule = "rule";
    public const string EventType = "event_type";
    public const string Subscription = "subscription";
    public const string User = "user";
    public const string ApiKey = "api_key";
    public const string Replay = "replay";
    public const string Delivery = "delivery";
    public const string Retention = "retention";

    public static readonly IReadOnlyList<string> All = [Integration, Listener, Table, Webhook, Rule, EventType, Subscription, User, ApiKey, Replay, Delivery, Retention];
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("AuditEntries");
        builder.Property(e => e.ActorKind).HasMaxLength(16);
        builder.Property(e => e.ActorId).HasMaxLength(64);
        builder.Property(e => e.ActorName).HasMaxLength(256);
        builder.Property(e => e.Address).HasMaxLength(64);
        builder.Property(e => e.Action).HasMaxLength(64);
        builder.Property(e => e.ResourceType).HasMaxLength(32);
        builder.Property(e => e.ResourceId).HasMaxLength(64);
        builder.Property(e => e.ResourceName).HasMaxLength(256);
        builder.Property(e => e.Severity).HasMaxLength(16);
        builder.Property(e => e.Summary).HasMaxLength(AuditEntry.SummaryMaxLength);
        builder.HasIndex(e => e.TimeUtc);
        builder.HasIndex(e => new { e.ResourceType, e.TimeUtc });
        builder.HasIndex(e => new { e.ResourceId, e.TimeUtc });
        builder.HasIndex(e => new { e.ActorName, e.TimeUtc });
        builder.HasIndex(e => new { e.Action, e.TimeUtc });
    }
}
