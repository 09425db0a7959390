namespace WebhookPortal.Features.Notifications;

public static class NotificationsSetup
{
    public static IServiceCollection AddNotifications(this IServiceCollection services) =>
        services.AddScoped<NotificationService>().AddScoped<UsageMeter>();

    public static WebApplication MapNotifications(this WebApplication app)
    {
        app.MapNotificationsEndpoints();
        return app;
    }
}
