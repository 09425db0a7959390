namespace WebhookPortal.Features.Notifications;

public static class NotificationsSetup
{
    public static IServiceCollection AddNotifications(this IServiceCollection services) =>
        services.AddScoped<NotificationService>().AddScoped<UsageMeter>()
            .AddScoped<Listeners.Receiver.IRecordChangeHandler, UsageRecordChangeHandler>();

    public static WebApplication MapNotifications(this WebApplication app)
    {
        app.MapNotificationsEndpoints();
        return app;
    }
}
