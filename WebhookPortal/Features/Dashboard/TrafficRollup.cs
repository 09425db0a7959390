using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Features.Dashboard;

/// <summary>
/// How many log entries one hour had per direction, name and state: the dashboard's 24-hour and 7-day charts add
/// these up instead of grouping up to a million log entries on every refresh. Written by the minutely
/// <see cref="TrafficRollupJob"/> for whole hours only (after a margin for late commits); the hours after the newest
/// roll-up are counted from the log itself. Kept for <see cref="TrafficRollupJob.Keep"/>.
/// </summary>
public sealed class TrafficRollup
{
    public DateTime HourUtc { get; set; }

    /// <summary>As stored in the log: "inbound" or "outbound".</summary>
    public required string Direction { get; set; }

    public required string Name { get; set; }

    /// <summary>As stored in the log: "success" or "error".</summary>
    public required string State { get; set; }

    public long Count { get; set; }
}

internal sealed class TrafficRollupConfiguration : IEntityTypeConfiguration<TrafficRollup>
{
    public void Configure(EntityTypeBuilder<TrafficRollup> builder)
    {
        builder.ToTable("TrafficRollups");
        builder.HasKey(r => new { r.HourUtc, r.Direction, r.Name, r.State });
        builder.Property(r => r.Direction).HasMaxLength(16);
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.State).HasMaxLength(16);
    }
}
