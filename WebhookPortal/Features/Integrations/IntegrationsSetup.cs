namespace WebhookPortal.Features.Integrations;

public static class IntegrationsSetup
{
    public static IServiceCollection AddIntegrations(this IServiceCollection services) =>
        services.AddScoped<IntegrationService>().AddScoped<DeletionService>();

    public static WebApplication MapIntegrations(this WebApplication app)
    {
        app.MapIntegrationsEndpoints();
        return app;
    }
}
