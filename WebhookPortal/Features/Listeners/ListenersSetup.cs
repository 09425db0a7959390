using Hangfire;
using Microsoft.Extensions.Options;
using WebhookPortal.Features.Listeners.Receiver;
using WebhookPortal.Features.Logs;

namespace WebhookPortal.Features.Listeners;

public static class ListenersSetup
{
    public static IServiceCollection AddListeners(this IServiceCollection services)
    {
        services.AddOptions<ListenerOptions>().BindConfiguration(ListenerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LogOptions>().BindConfiguration(LogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ListenerDirectory>();
        services.AddSingleton<ReceiverWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<ReceiverWriter>());
        services.AddScoped<ListenerService>();
        services.AddScoped<RetentionService>();
        services.AddScoped<LogService>();
        services.AddScoped<LogActions>();
        return services;
    }

    /// <summary>Registers the retention job with Hangfire (recurring jobs live in Hangfire's storage, so this runs at every start).</summary>
    public static void ScheduleRetention(this IServiceProvider services)
    {
        var cron = services.GetRequiredService<IOptions<RetentionOptions>>().Value.Cron;
        services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<RetentionService>(RetentionService.RecurringJobId, r => r.RunAsync(CancellationToken.None), cron);
    }
}
