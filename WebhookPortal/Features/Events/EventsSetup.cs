using Hangfire;

namespace WebhookPortal.Features.Events;

public static class EventsSetup
{
    public const string PendingSweepJobId = "pending-event-sweep";

    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>()
            .Configure(o => o.AddPolicy<string, PerformListRateLimit>(PerformListRateLimit.PolicyName));
        services.AddScoped<Listeners.Receiver.IRecordChangeHandler, EventTriggerRecordChangeHandler>();
        services.AddScoped<Deliveries.IDeliveryTarget, SubscriptionDeliveryTarget>();
        services.AddSingleton<EventPayloads>();
        services.AddScoped<EventTrigger>();
        services.AddScoped<SubscriptionService>();
        return services.AddScoped<EventTypeCatalog>();
    }

    public static WebApplication MapEvents(this WebApplication app)
    {
        app.MapEventsEndpoints();
        app.Services.SchedulePendingEventSweep();
        return app;
    }

    /// <summary>Scripted events whose Hangfire job was lost (in-memory storage across a restart) run within a minute.</summary>
    public static void SchedulePendingEventSweep(this IServiceProvider services) =>
        services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<EventTrigger>(PendingSweepJobId, e => e.SweepPendingAsync(CancellationToken.None), Cron.Minutely());
}
