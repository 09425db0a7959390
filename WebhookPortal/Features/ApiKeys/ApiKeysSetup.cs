namespace WebhookPortal.Features.ApiKeys;

public static class ApiKeysSetup
{
    public static IServiceCollection AddApiKeys(this IServiceCollection services) =>
        services.AddScoped<ApiKeyService>();
}
