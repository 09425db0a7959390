namespace WebhookPortal.Features.Integrations;

public static class IntegrationsSetup
{
    public static IServiceCollection AddIntegrations(this IServiceCollection services)
    {
        services.AddOptions<IntegrationOptions>().BindConfiguration(IntegrationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services.AddSingleton<IntegrationCatalog>().AddScoped<IntegrationService>().AddScoped<DeletionService>();
    }

    public static WebApplication MapIntegrations(this WebApplication app)
    {
        app.MapIntegrationsEndpoints();
        return app;
    }
}
