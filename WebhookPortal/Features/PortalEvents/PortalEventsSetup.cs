namespace WebhookPortal.Features.PortalEvents;

public static class PortalEventsSetup
{
    public static IServiceCollection AddPortalEvents(this IServiceCollection services) =>
        services.AddScoped<PortalEventRaiser>().AddScoped<PortalEventService>();

    public static WebApplication MapPortalEvents(this WebApplication app)
    {
        app.MapPortalEventsEndpoints();
        return app;
    }
}
