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

internal sealed class NotificationRuleConfiguration : IEntityTypeConfiguration<NotificationRule>
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
}
