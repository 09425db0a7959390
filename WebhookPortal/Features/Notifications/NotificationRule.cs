using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Notifications;

/// <summary>
/// Notifies webhooks when the accepted requests of a listener (or of a whole integration) in a period
/// reach percentages of a target.
/// </summary>
public sealed class NotificationRule
{
    public Guid Id { get; set; }

    public Guid IntegrationId { get; set; }

    public Guid? ListenerId { get; set; }

    public required string Name { get; set; }

    public long Target { get; set; }

    public UsagePeriod Period { get; set; }

    public required string ConditionsJson { get; set; }

    public required string WebhookIdsJson { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTime CreatedUtc { get; set; }

    public DateTime UpdatedUtc { get; set; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public IReadOnlyList<ThresholdCondition> Conditions => JsonSerializer.Deserialize<List<ThresholdCondition>>(ConditionsJson, Json) ?? [];

    public IReadOnlyList<Guid> WebhookIds => JsonSerializer.Deserialize<List<Guid>>(WebhookIdsJson, Json) ?? [];

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>Every threshold of every condition, as a number of requests, distinct and ascending.</summary>
    public IReadOnlyList<(decimal Percent, long Count)> ThresholdCounts() =>
        Conditions.SelectMany(c => c.Thresholds()).Distinct().Order()
            .Select(p => (p, (long)Math.Ceiling(p * Target / 100m)))
            .ToList();
}

/// <summary>The requests counted for a rule in one period (one row per rule and period).</summary>
public sealed class RuleUsage
{
    public Guid RuleId { get; set; }

    public DateTime PeriodStart { get; set; }

    public long Count { get; set; }
}

/// <summary>A threshold that fired: unique per rule, period and threshold, so it fires once.</summary>
public sealed class RuleFiring
{
    public long Id { get; set; }

    public Guid RuleId { get; set; }

    public DateTime PeriodStart { get; set; }

    public decimal Threshold { get; set; }

    public long Count { get; set; }

    public DateTime FiredUtc { get; set; }

    public Guid MessageId { get; set; }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<NotificationRule>, IEntityTypeConfiguration<RuleUsage>, IEntityTypeConfiguration<RuleFiring>
{
    public void Configure(EntityTypeBuilder<NotificationRule> builder)
    {
        builder.ToTable("NotificationRules");
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.Period).HasConversion<string>().HasMaxLength(16);
        builder.Ignore(r => r.Conditions);
        builder.Ignore(r => r.WebhookIds);
        builder.HasIndex(r => r.IntegrationId);
    }

    public void Configure(EntityTypeBuilder<RuleUsage> builder)
    {
        builder.ToTable("RuleUsage");
        builder.HasKey(u => new { u.RuleId, u.PeriodStart });
    }

    public void Configure(EntityTypeBuilder<RuleFiring> builder)
    {
        builder.ToTable("RuleFirings");
        builder.Property(f => f.Threshold).HasPrecision(18, 4);
        builder.HasIndex(f => new { f.RuleId, f.PeriodStart, f.Threshold }).IsUnique();
    }
}
