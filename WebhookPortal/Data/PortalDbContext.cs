using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Features.Events;

namespace WebhookPortal.Data;

/// <summary>
/// The portal's own database: Identity, Data Protection keys and every feature's entities.
/// Provider-specific subclasses (<see cref="SqlitePortalDbContext"/>, <see cref="PostgresPortalDbContext"/>)
/// exist only so that each provider keeps its own migration set.
/// </summary>
public class PortalDbContext(DbContextOptions options)
    : IdentityDbContext<ApplicationUser>(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Integration> Integrations => Set<Integration>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<ApiKeyIntegration> ApiKeyIntegrations => Set<ApiKeyIntegration>();
    public DbSet<Listener> Listeners => Set<Listener>();
    public DbSet<LogEntry> LogEntries => Set<LogEntry>();

    public DbSet<Features.Dashboard.TrafficRollup> TrafficRollups => Set<Features.Dashboard.TrafficRollup>();
    public DbSet<WebhookPortal.Features.Listeners.Receiver.IdempotencyKey> IdempotencyKeys => Set<WebhookPortal.Features.Listeners.Receiver.IdempotencyKey>();
    public DbSet<WebhookPortal.Features.Listeners.Replays.BulkReplay> BulkReplays => Set<WebhookPortal.Features.Listeners.Replays.BulkReplay>();
    public DbSet<Webhook> Webhooks => Set<Webhook>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<Delivery> Deliveries => Set<Delivery>();
    public DbSet<NotificationRule> NotificationRules => Set<NotificationRule>();
    public DbSet<RuleUsage> RuleUsage => Set<RuleUsage>();
    public DbSet<RuleFiring> RuleFirings => Set<RuleFiring>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobToken> JobTokens => Set<JobToken>();
    public DbSet<EventType> EventTypes => Set<EventType>();
    public DbSet<Subscription> Subscriptions => Set<Subscription>();
    public DbSet<PendingEvent> PendingEvents => Set<PendingEvent>();
    public DbSet<WebhookPortal.Features.PortalEvents.PortalEvent> PortalEvents => Set<WebhookPortal.Features.PortalEvents.PortalEvent>();
    public DbSet<WebhookPortal.Features.Audit.AuditEntry> AuditEntries => Set<WebhookPortal.Features.Audit.AuditEntry>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every time is stored in UTC; SQLite drops the kind, so read values are marked UTC again.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly, t => t.Namespace?.StartsWith("WebhookPortal.Features", StringComparison.Ordinal) == true);
    }
}

public sealed class SqlitePortalDbContext(DbContextOptions<SqlitePortalDbContext> options) : PortalDbContext(options);

public sealed class PostgresPortalDbContext(DbContextOptions<PostgresPortalDbContext> options) : PortalDbContext(options);

internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
