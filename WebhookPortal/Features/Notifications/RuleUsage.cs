using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Notifications;

/// <summary>The requests counted for a rule in one period (one row per rule and period).</summary>
public sealed class RuleUsage
{
    public Guid RuleId { get; set; }

    public DateTime PeriodStart { get; set; }

    public long Count { get; set; }
}

internal sealed class RuleUsageConfiguration : IEntityTypeConfiguration<RuleUsage>
{
    public void Configure(EntityTypeBuilder<RuleUsage> builder)
    {
        builder.ToTable("RuleUsage");
        builder.HasKey(u => new { u.RuleId, u.PeriodStart });
    }
}
