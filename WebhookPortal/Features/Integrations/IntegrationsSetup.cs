namespace WebhookPortal.Features.Integrations;

public static class IntegrationsSetup
{
    public static IServiceCollection AddIntegrations(this IServiceCollection services) =>
        services.AddScoped<IntegrationService>().AddScoped<DeletionService>();
}
