namespace WebhookPortal.Features.Logs;

public static class LogsSetup
{
    public static IServiceCollection AddLogs(this IServiceCollection services)
    {
        services.AddOptions<LogOptions>().BindConfiguration(LogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<LogService>();
        services.AddScoped<LogActions>();
        services.AddHostedService<LogSearchIndexer>();
        return services;
    }

    public static WebApplication MapLogs(this WebApplication app)
    {
        app.MapLogsEndpoints();
        return app;
    }
}
