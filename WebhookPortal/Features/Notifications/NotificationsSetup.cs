namespace WebhookPortal.Features.Notifications;

public static class NotificationsSetup
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddOptions<MintNotificationOptions>().BindConfiguration(MintNotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services.AddScoped<NotificationService>().AddScoped<MintNotificationConditions>().AddScoped<UsageMeter>()
            .AddScoped<Listeners.Receiver.IRecordChangeHandler, UsageRecordChangeHandler>();
    }

    public static WebApplication MapNotifications(this WebApplication app)
    {
        app.MapNotificationsEndpoints();
        return app;
    }
}
