using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using System.Diagnostics.Metrics;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Telemetry;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Telemetry;

/// <summary>The backlog gauges' query and cache, on a database of their own (SQLite in memory) and a fake clock.</summary>
public sealed class DeliveryBacklogMetricsTests : IDisposable
{
    private readonly TestDatabase database = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly Guid messageId = Guid.NewGuid();

    public DeliveryBacklogMetricsTests()
    {
        using var db = database.CreateContext();
        db.Messages.Add(new Message { Id = messageId, EventType = "t", Payload = "{}", CreatedUtc = Now });
        db.SaveChanges();
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private DeliveryBacklogMetrics Metrics(TimeSpan refresh) => new(services.GetRequiredService<IMeterFactory>(), database, clock,
        Options.Create(new TelemetryOptions { BacklogRefreshInterval = refresh }), NullLogger<DeliveryBacklogMetrics>.Instance);

    private void Add(DeliveryState state, TimeSpan dueIn)
    {
        using var db = database.CreateContext();
        db.Deliveries.Add(new Delivery
        {
            Id = Guid.NewGuid(), MessageId = messageId, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "t", Url = "https://t.example/",
            State = state, NextAttemptUtc = Now + dueIn, CreatedUtc = Now, UpdatedUtc = Now,
        });
        db.SaveChanges();
    }

    [Fact]
    public void Only_due_pending_deliveries_count_and_the_age_is_that_of_the_longest_due()
    {
        Assert.Equal(default, Metrics(TimeSpan.Zero).Query());

        Add(DeliveryState.Pending, TimeSpan.FromSeconds(-90));
        Add(DeliveryState.Pending, TimeSpan.FromSeconds(-30));
        Add(DeliveryState.Pending, TimeSpan.Zero);
        Add(DeliveryState.Pending, TimeSpan.FromMinutes(5));
        Add(DeliveryState.Held, TimeSpan.FromHours(-1));
        Add(DeliveryState.Failed, TimeSpan.FromHours(-1));
        Add(DeliveryState.Delivered, TimeSpan.FromHours(-2));

        Assert.Equal(new DeliveryBacklog(3, TimeSpan.FromSeconds(90)), Metrics(TimeSpan.Zero).Query());
    }

    [Fact]
    public void The_gauges_reuse_their_count_within_the_refresh_interval()
    {
        Add(DeliveryState.Pending, TimeSpan.FromSeconds(-10));
        var cached = Metrics(TimeSpan.FromHours(1));
        var uncached = Metrics(TimeSpan.Zero);
        Assert.Equal(1, cached.Read().Due);

        Add(DeliveryState.Pending, TimeSpan.FromSeconds(-20));
        Assert.Equal(1, cached.Read().Due);
        Assert.Equal(new DeliveryBacklog(2, TimeSpan.FromSeconds(20)), uncached.Read());
    }

    [Fact]
    public void The_gauges_report_through_a_meter_listener()
    {
        Add(DeliveryState.Pending, TimeSpan.FromSeconds(-42));
        var metrics = Metrics(TimeSpan.Zero);
        var factory = services.GetRequiredService<IMeterFactory>();
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, value, _, _) => seen[i.Name] = value);
        listener.SetMeasurementEventCallback<double>((i, value, _, _) => seen[i.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(1, seen[PortalTelemetry.DeliveriesDueName]);
        Assert.Equal(42, seen[PortalTelemetry.OldestDueAgeName]);
        GC.KeepAlive(metrics);
    }

    public void Dispose()
    {
        services.Dispose();
        database.Dispose();
    }
}
