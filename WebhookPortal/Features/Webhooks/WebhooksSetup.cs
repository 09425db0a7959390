namespace WebhookPortal.Features.Webhooks;

public static class WebhooksSetup
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services.AddSingleton<SigningSecretCache>().AddSingleton<PublishRoutes>().AddScoped<WebhookCatalog>().AddScoped<WebhookSecrets>().AddScoped<WebhookPublisher>().AddScoped<Deliveries.IDeliveryTarget, WebhookDeliveryTarget>();
    }

    public static WebApplication MapWebhooks(this WebApplication app)
    {
        app.MapWebhooksEndpoints();
        return app;
    }
}
