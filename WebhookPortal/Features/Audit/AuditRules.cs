using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Replays;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Features.Webhooks;

namespace WebhookPortal.Features.Audit;

/// <summary>
/// Which entity types are configuration (and so audited), what each is called in the trail, which of its fields are
/// noise (timestamps, counters) and which action a change is (a listener's auth change or a secret rotation stands out).
/// Every other entity type (deliveries, messages, log entries, usage counters…) is skipped by one dictionary lookup.
/// </summary>
public static partial class AuditRules
{
    private static readonly FrozenDictionary<Type, Rule> Rules = new Dictionary<Type, Rule>
    {
        [typeof(Integration)] = new(AuditResources.Integration, e => ((Integration)e).Name) { Noise = ["UpdatedUtc"] },
        [typeof(Listener)] = new(AuditResources.Listener, e => ((Listener)e).Name)
        {
            Noise = ["UpdatedUtc"],
            Split = new(AuditResources.Table, ["SchemaJson", "SampleJson"], (entry, _) =>
                (entry.State == EntityState.Modified && entry.OriginalValues["SchemaJson"] is not null ? "table.changed" : "table.generated", AuditSeverity.Info)),
            Modified = ListenerAction,
        },
        [typeof(Webhook)] = new(AuditResources.Webhook, e => ((Webhook)e).Name)
        {
            Noise = ["UpdatedUtc", "UpdatedBy", "FailingSinceUtc", "ProbeAfterUtc", "DisabledUtc"],
            Modified = WebhookAction,
        },
        [typeof(NotificationRule)] = new(AuditResources.Rule, e => ((NotificationRule)e).Name) { Noise = ["UpdatedUtc"], Modified = EnabledAction },
        [typeof(EventType)] = new(AuditResources.EventType, e => ((EventType)e).Name) { Noise = ["UpdatedUtc"], Modified = EnabledAction },
        [typeof(Subscription)] = new(AuditResources.Subscription, e => ((Subscription)e).PortalEventType is { } portalEvent
            ? $"{portalEvent} → {Redaction.Url(((Subscription)e).TargetUrl)}"
            : Redaction.Url(((Subscription)e).TargetUrl)),
        [typeof(ApiKey)] = new(AuditResources.ApiKey, e => ((ApiKey)e).Name)
        {
            Noise = ["LastUsedUtc"],
            Added = AuditSeverity.Warning,
            ResolveAsync = ApiKeyScopeAsync,
        },
        [typeof(ApplicationUser)] = new(AuditResources.User, e => ((ApplicationUser)e).Email ?? ((ApplicationUser)e).UserName)
        {
            Noise = ["ConcurrencyStamp", "SecurityStamp", "AccessFailedCount", "NormalizedEmail", "NormalizedUserName"],
            Modified = UserAction,
        },
        [typeof(IdentityUserRole<string>)] = new(AuditResources.User, _ => null)
        {
            Id = e => ((IdentityUserRole<string>)e).UserId,
            Added = AuditSeverity.Warning,
            Deleted = AuditSeverity.Warning,
            Verbs = ("role_added", "role_removed"),
            ResolveAsync = UserRoleAsync,
        },
        [typeof(BulkReplay)] = new(AuditResources.Replay, _ => null)
        {
            OnlyAdded = true,
            Verbs = ("bulk_started", "bulk_deleted"),
            Include = ["ListenerId", "FromUtc", "ToUtc", "State", "Total", "RequestedBy"],
            ResolveAsync = ListenerNameAsync,
        },
    }.ToFrozenDictionary();

    /// <summary>Whether changes of this entity type are recorded at all (the interceptor's cheap first test).</summary>
    public static bool IsAudited(Type type) => Rules.ContainsKey(type);

    internal sealed record SplitRule(string Resource, HashSet<string> Properties, Func<EntityEntry, HashSet<string>, (string Action, string Severity)> Action);

    internal sealed record Rule(string Resource, Func<object, string?> Name)
    {
        public HashSet<string> Noise { get; init; } = [];

        /// <summary>Only these properties are recorded (null: all but the noise).</summary>
        public HashSet<string>? Include { get; init; }

        public Func<object, string?>? Id { get; init; }

        public SplitRule? Split { get; init; }

        public Func<EntityEntry, HashSet<string>, (string Action, string Severity)?>? Modified { get; init; }

        public string Added { get; init; } = AuditSeverity.Info;

        public string Deleted { get; init; } = AuditSeverity.Info;

        public (string Added, string Deleted) Verbs { get; init; } = ("created", "deleted");

        public bool OnlyAdded { get; init; }

        public Func<DbContext, object, AuditEntry, CancellationToken, ValueTask>? ResolveAsync { get; init; }
    }

    /// <summary>A described change waiting for its actor, and the hook that completes it (names resolved from the database).</summary>
    internal sealed record Draft(AuditEntry Entry, object Entity, Rule Rule);

    /// <summary>The audit entries a tracked entity's change makes (none for unaudited types or noise-only changes).</summary>
    internal static void Describe(EntityEntry entry, List<Draft> drafts) => Describe(entry, entry.State, drafts, null);

    /// <summary>Describes an entity deleted without the change tracker (ExecuteDelete), from a copy read before.</summary>
    internal static void DescribeDeleted(EntityEntry detached, List<Draft> drafts, string? note) => Describe(detached, EntityState.Deleted, drafts, note);

    private static void Describe(EntityEntry entry, EntityState state, List<Draft> drafts, string? note)
    {
        if (!Rules.TryGetValue(entry.Metadata.ClrType, out var rule) || state is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
        {
            return;
        }

        if (rule.OnlyAdded && state != EntityState.Added)
        {
            return;
        }

        var tracked = entry.State != EntityState.Detached;
        var properties = entry.Metadata.GetProperties()
            .Where(p => !rule.Noise.Contains(p.Name) && (rule.Include is null || rule.Include.Contains(p.Name) || p.IsPrimaryKey()))
            .ToList();
        object? Before(IProperty p) => tracked ? entry.OriginalValues[p] : entry.CurrentValues[p];
        object? After(IProperty p) => entry.CurrentValues[p];

        var changed = state == EntityState.Modified
            ? properties.Where(p => !SameValue(Before(p), After(p))).Select(p => p.Name).ToHashSet()
            : properties.Select(p => p.Name).ToHashSet();
        if (changed.Count == 0)
        {
            return;
        }

        var id = rule.Id?.Invoke(entry.Entity) ?? string.Join(":", entry.Metadata.FindPrimaryKey()!.Properties.Select(p => Convert.ToString(After(p), System.Globalization.CultureInfo.InvariantCulture)));
        var name = Truncate(rule.Name(entry.Entity), 256);

        // A creation or deletion counts the split's fields only when they hold something (a new listener has no tables).
        if (rule.Split is { } split && changed.Overlaps(split.Properties)
            && (state == EntityState.Modified || properties.Any(p => split.Properties.Contains(p.Name) && (state == EntityState.Added ? After(p) : Before(p)) is not null)))
        {
            var part = changed.Where(split.Properties.Contains).ToHashSet();
            var (splitAction, splitSeverity) = state == EntityState.Deleted ? ("table.deleted", AuditSeverity.Info) : split.Action(entry, part);
            drafts.Add(new Draft(Make(split.Resource, splitAction, splitSeverity, part), entry.Entity, rule));
            changed.ExceptWith(split.Properties);
            if (changed.Count == 0 || (state == EntityState.Modified && changed.SetEquals(["UpdatedUtc"])))
            {
                return;
            }
        }

        var (action, severity) = state switch
        {
            EntityState.Added => ($"{rule.Resource}.{rule.Verbs.Added}", rule.Added),
            EntityState.Deleted => ($"{rule.Resource}.{rule.Verbs.Deleted}", rule.Deleted),
            _ => rule.Modified?.Invoke(entry, changed) ?? ($"{rule.Resource}.updated", AuditSeverity.Info),
        };
        drafts.Add(new Draft(Make(rule.Resource, action, severity, changed), entry.Entity, rule));

        AuditEntry Make(string resource, string action, string severity, HashSet<string> names)
        {
            var shown = properties.Where(p => names.Contains(p.Name)).ToList();
            JsonObject? before = null, after = null;
            if (state != EntityState.Added)
            {
                before = new JsonObject(shown.Select(p => KeyValuePair.Create(CamelCase(p.Name), Value(p, Before(p), changed: false))));
            }

            if (state != EntityState.Deleted)
            {
                after = new JsonObject(shown.Select(p => KeyValuePair.Create(CamelCase(p.Name), Value(p, After(p), changed: state == EntityState.Modified))));
            }

            var summary = state switch
            {
                EntityState.Added => $"{Label(action)} '{name ?? id}'",
                EntityState.Deleted => $"{Label(action)} '{name ?? id}'" + (note is null ? "" : $" ({note})"),
                _ => string.Join("; ", shown.Select(p => $"{CamelCase(p.Name)}: {Text(before![CamelCase(p.Name)])} → {Text(after![CamelCase(p.Name)])}")),
            };
            return new AuditEntry
            {
                Action = action,
                ResourceType = resource,
                ResourceId = Truncate(id, 64),
                ResourceName = name,
                Severity = severity,
                Summary = Truncate(summary, AuditEntry.SummaryMaxLength),
                Before = before?.ToJsonString(),
                After = after?.ToJsonString(),
            };
        }
    }

    private static (string, string)? ListenerAction(EntityEntry entry, HashSet<string> changed)
    {
        string[] auth = ["AuthMethod", "TokenLocation", "TokenName", "TokenPrefix", "SignatureAlgorithm", "SignatureEncoding", "SignatureToleranceSeconds", "Handshake", "HandshakeVerifyTokenHash"];
        string[] previous = ["PreviousTokenHash", "PreviousTokenExpiresUtc", "PreviousSigningSecretProtected", "PreviousSigningSecretExpiresUtc"];
        if (changed.Overlaps(auth))
        {
            return ("listener.auth_changed", AuditSeverity.Warning);
        }

        if (changed.Contains("TokenHash"))
        {
            return ("listener.token_rotated", AuditSeverity.Warning);
        }

        if (changed.Contains("SigningSecretProtected"))
        {
            return ("listener.secret_rotated", AuditSeverity.Warning);
        }

        if (changed.IsSubsetOf(previous))
        {
            return ("listener.previous_secret_expired", AuditSeverity.Info);
        }

        return EnabledAction(entry, changed);
    }

    private static (string, string)? WebhookAction(EntityEntry entry, HashSet<string> changed)
    {
        if (changed.Contains("ProtectedSecret"))
        {
            return ("webhook.secret_rotated", AuditSeverity.Warning);
        }

        if (changed.IsSubsetOf(["PreviousProtectedSecret", "PreviousSecretExpiresUtc"]))
        {
            return ("webhook.previous_secret_expired", AuditSeverity.Info);
        }

        if (changed.Contains("Enabled") && changed.IsSubsetOf(["Enabled", "DisabledReason", "DisabledBy"]))
        {
            return (entry.CurrentValues["Enabled"] is true ? "webhook.enabled" : "webhook.disabled", AuditSeverity.Info);
        }

        return null;
    }

    /// <summary><c>x.enabled</c> / <c>x.disabled</c> when the switch is all that changed, else the default <c>x.updated</c>.</summary>
    private static (string, string)? EnabledAction(EntityEntry entry, HashSet<string> changed) =>
        changed.SetEquals(["Enabled"])
            ? (Rules[entry.Metadata.ClrType].Resource + (entry.CurrentValues["Enabled"] is true ? ".enabled" : ".disabled"), AuditSeverity.Info)
            : null;

    private static (string, string)? UserAction(EntityEntry entry, HashSet<string> changed)
    {
        if (changed.Contains("PasswordHash"))
        {
            return ("user.password_changed", AuditSeverity.Warning);
        }

        if (changed.Contains("LockoutEnd"))
        {
            var locked = entry.CurrentValues["LockoutEnd"] is DateTimeOffset end && end > DateTimeOffset.UtcNow;
            return (locked ? "user.locked" : "user.unlocked", locked ? AuditSeverity.Warning : AuditSeverity.Info);
        }

        return null;
    }

    private static async ValueTask UserRoleAsync(DbContext db, object entity, AuditEntry entry, CancellationToken ct)
    {
        var link = (IdentityUserRole<string>)entity;
        var role = await db.Set<IdentityRole>().FindAsync([link.RoleId], ct);
        var user = await db.Set<ApplicationUser>().FindAsync([link.UserId], ct);
        entry.ResourceName = Truncate(user?.Email ?? user?.UserName, 256);
        var value = new JsonObject { ["role"] = role?.Name ?? link.RoleId };
        if (entry.Action.EndsWith("role_added", StringComparison.Ordinal))
        {
            entry.After = value.ToJsonString();
            entry.Summary = $"Role {role?.Name} given to '{entry.ResourceName}'";
        }
        else
        {
            entry.Before = value.ToJsonString();
            entry.Summary = $"Role {role?.Name} taken from '{entry.ResourceName}'";
        }
    }

    private static ValueTask ApiKeyScopeAsync(DbContext db, object entity, AuditEntry entry, CancellationToken ct)
    {
        var key = (ApiKey)entity;
        if (entry.After is { } after && JsonNode.Parse(after) is JsonObject values)
        {
            var scope = db.ChangeTracker.Entries<ApiKeyIntegration>().Where(e => e.Entity.ApiKeyId == key.Id && e.State == EntityState.Added).Select(e => (JsonNode?)e.Entity.IntegrationId.ToString()).ToArray();
            values["integrationIds"] = new JsonArray(scope);
            entry.After = values.ToJsonString();
        }

        return ValueTask.CompletedTask;
    }

    private static async ValueTask ListenerNameAsync(DbContext db, object entity, AuditEntry entry, CancellationToken ct)
    {
        var replay = (BulkReplay)entity;
        entry.ResourceName = await db.Set<Listener>().AsNoTracking().Where(l => l.Id == replay.ListenerId).Select(l => l.Name).FirstOrDefaultAsync(ct);
        entry.Summary = $"Bulk replay of '{entry.ResourceName}': {replay.Total} {replay.State} requests from {replay.FromUtc:u} to {replay.ToUtc:u}";
    }

    /// <summary>
    /// A secret by the codebase's naming: hashes (token, key, password, verify token), protected secrets, signing
    /// secrets, security and concurrency stamps, and any binary value. Their values never reach the trail: only
    /// whether one is set and whether it changed.
    /// </summary>
    public static bool IsSecret(IProperty property) =>
        property.ClrType == typeof(byte[]) || (SecretName().IsMatch(property.Name) && !property.Name.EndsWith("ExpiresUtc", StringComparison.Ordinal));

    [GeneratedRegex("Hash|Secret|Password|Stamp|Protected", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    public const string Masked = "[redacted]";
    public const string MaskedChanged = "[redacted: changed]";

    private static JsonNode? Value(IProperty property, object? value, bool changed)
    {
        if (value is null)
        {
            return null;
        }

        if (IsSecret(property))
        {
            return changed ? MaskedChanged : Masked;
        }

        switch (value)
        {
            case string text when property.Name is "PostUrl" or "TargetUrl":
                return Redaction.Url(text);
            case string text when property.Name == "HeadersJson":
                return Headers(text);
            case string text when property.Name.EndsWith("Json", StringComparison.Ordinal) && text.Length <= 8000:
                try
                {
                    return JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    return text;
                }

            case string text:
                return Truncate(text, 4000);
            case bool b:
                return b;
            case int or long or short or decimal or double or float:
                return JsonValue.Create(Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture));
            case DateTime time:
                return time.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            case DateTimeOffset time:
                return time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            default:
                return Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>A webhook's custom headers with the values of credential-like names masked.</summary>
    private static JsonNode? Headers(string json)
    {
        try
        {
            var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
            return new JsonObject(headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)(Redaction.IsSecretHeader(h.Key) ? Masked : h.Value))));
        }
        catch (JsonException)
        {
            return Masked;
        }
    }

    private static bool SameValue(object? a, object? b) =>
        a is byte[] x && b is byte[] y ? x.AsSpan().SequenceEqual(y) : Equals(a, b);

    internal static string Text(JsonNode? node) => node switch
    {
        null => "—",
        JsonValue v when v.TryGetValue<string>(out var s) => Truncate(s, 80)!,
        _ => Truncate(node.ToJsonString(), 80)!,
    };

    private static string Label(string action)
    {
        var verb = action[(action.IndexOf('.') + 1)..].Replace('_', ' ');
        var resource = action[..action.IndexOf('.')].Replace('_', ' ');
        return char.ToUpperInvariant(verb[0]) + verb[1..] + " " + resource;
    }

    internal static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    internal static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
