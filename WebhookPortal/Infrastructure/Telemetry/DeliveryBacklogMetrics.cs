using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;

namespace WebhookPortal.Infrastructure.Telemetry;

/// <summary>What is waiting to be sent: due pending deliveries and how long the oldest has been due.</summary>
public readonly record struct DeliveryBacklog(long Due, TimeSpan OldestDueAge);

/// <summary>
/// The backlog gauges (<c>webhookportal.deliveries.due</c>, <c>webhookportal.deliveries.oldest_due_age</c>): read only
/// when a reader collects (a scrape, an OTLP export), from one aggregate query over the (State, NextAttemptUtc) index,
/// reused for <see cref="TelemetryOptions.BacklogRefreshInterval"/>. Its meter comes from the host's
/// <see cref="IMeterFactory"/>, so the gauges go away with the host.
/// </summary>
public sealed class DeliveryBacklogMetrics
{
    private readonly IDbContextFactory<PortalDbContext> dbFactory;
    private readonly TimeProvider time;
    private readonly TimeSpan refreshInterval;
    private readonly ILogger<DeliveryBacklogMetrics> logger;
    private readonly Lock gate = new();
    private DeliveryBacklog cached;
    private long refreshedAt;
    private bool hasValue;

    public DeliveryBacklogMetrics(IMeterFactory meters, IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, IOptions<TelemetryOptions> options, ILogger<DeliveryBacklogMetrics> logger)
    {
        this.dbFactory = dbFactory;
        this.time = time;
        this.logger = logger;
        refreshInterval = options.Value.BacklogRefreshInterval;
        var meter = meters.Create(PortalTelemetry.Name);
        meter.CreateObservableGauge(PortalTelemetry.DeliveriesDueName, () => Read().Due, "{delivery}",
            "Pending deliveries whose attempt is due (waiting for a lane or being attempted).");
        meter.CreateObservableGauge(PortalTelemetry.OldestDueAgeName, () => Read().OldestDueAge.TotalSeconds, "s",
            "How long the longest-waiting due delivery has been due; 0 when none is.");
    }

    /// <summary>The backlog, from the database at most once per refresh interval.</summary>
    public DeliveryBacklog Read()
    {
        lock (gate)
        {
            if (hasValue && Stopwatch.GetElapsedTime(refreshedAt) < refreshInterval)
            {
                return cached;
            }

            try
            {
                cached = Query();
            }
            catch (Exception ex)
            {
                // A collection must not fail: the last value stands and the next collection tries again.
                logger.LogWarning(ex, "The delivery backlog could not be read for the metrics.");
            }

            refreshedAt = Stopwatch.GetTimestamp();
            hasValue = true;
            return cached;
        }
    }

    /// <summary>One aggregate query: the count and the earliest due time of pending deliveries due now.</summary>
    public DeliveryBacklog Query()
    {
        using var db = dbFactory.CreateDbContext();
        var now = time.GetUtcNow().UtcDateTime;
        var row = db.Deliveries.AsNoTracking()
            .Where(d => d.State == DeliveryState.Pending && d.NextAttemptUtc <= now)
            .GroupBy(d => 1)
            .Select(g => new { Count = g.LongCount(), Oldest = g.Min(d => d.NextAttemptUtc) })
            .FirstOrDefault();
        return row is null ? default : new DeliveryBacklog(row.Count, now - row.Oldest > TimeSpan.Zero ? now - row.Oldest : TimeSpan.Zero);
    }
}
