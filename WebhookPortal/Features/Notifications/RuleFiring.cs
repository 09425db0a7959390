using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Notifications;

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

internal sealed class RuleFiringConfiguration : IEntityTypeConfiguration<RuleFiring>
{
    public void Configure(EntityTypeBuilder<RuleFiring> builder)
    {
        builder.ToTable("RuleFirings");
        builder.Property(f => f.Threshold).HasPrecision(18, 4);
        builder.HasIndex(f => new { f.RuleId, f.PeriodStart, f.Threshold }).IsUnique();
    }
}
