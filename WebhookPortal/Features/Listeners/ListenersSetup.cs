using Hangfire;
using Microsoft.Extensions.Options;
using WebhookPortal.Features.Listeners.Receiver;

namespace WebhookPortal.Features.Listeners;

public static class ListenersSetup
{
    public static IServiceCollection AddListeners(this IServiceCollection services)
    {
        services.AddOptions<ListenerOptions>().BindConfiguration(ListenerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ListenerDirectory>();
        services.AddSingleton<ReceiverWriter>();
        services.AddSingleton<InboundPipeline>();
        // One authenticator per listener auth method (see IListenerAuthenticator).
        services.AddSingleton<IListenerAuthenticator, OpenListenerAuthenticator>();
        services.AddSingleton<IListenerAuthenticator, TokenListenerAuthenticator>();
        foreach (var method in new[] { ListenerAuthMethod.Hmac, ListenerAuthMethod.GitHub, ListenerAuthMethod.Shopify })
        {
            services.AddSingleton<IListenerAuthenticator>(sp => new HmacListenerAuthenticator(method, sp.GetRequiredService<TimeProvider>()));
        }

        services.AddSingleton<IListenerAuthenticator, StripeListenerAuthenticator>();
        services.AddSingleton<IListenerAuthenticator, SlackListenerAuthenticator>();
        services.AddSingleton<IListenerAuthenticator, StandardWebhooksListenerAuthenticator>();
        services.AddHostedService(sp => sp.GetRequiredService<ReceiverWriter>());
        // Listener services by role; each opens a context per operation from the factory.
        services.AddScoped<ListenerCatalog>();
        services.AddScoped<ListenerTokens>();
        services.AddScoped<ListenerSecrets>();
        services.AddScoped<Replays.BulkReplays>();
        services.AddScoped<TableDesigner>();
        services.AddScoped<ListenerRecords>();
        services.AddScoped<ListenerScriptTester>();
        services.AddScoped<RetentionService>();
        services.AddScoped<RetentionRuns>();
        services.AddScoped<RetentionRunJob>();
        return services;
    }

    /// <summary>The listener API, the receiving URLs, and the retention job.</summary>
    public static WebApplication MapListeners(this WebApplication app)
    {
        app.MapListenersEndpoints();
        app.MapReceiverEndpoints();
        app.Services.ScheduleRetention();
        app.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<Replays.BulkReplays>(Replays.BulkReplays.SweepJobId, r => r.SweepAsync(CancellationToken.None), Cron.Minutely());
        return app;
    }

    /// <summary>Registers the retention job with Hangfire (recurring jobs live in Hangfire's storage, so this runs at every start).</summary>
    public static void ScheduleRetention(this IServiceProvider services)
    {
        var cron = services.GetRequiredService<IOptions<RetentionOptions>>().Value.Cron;
        services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<RetentionService>(RetentionService.RecurringJobId, r => r.RunAsync(CancellationToken.None), cron);
    }
}
