using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Features.Audit;

public static class AuditSetup
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuditActors>();
        services.AddSingleton<AuditInterceptor>();
        services.AddSingleton<AuditLog>();
        services.AddScoped<AuditService>();
        services.AddScoped<CircuitHandler, AuditCircuitHandler>();

        // Both providers' contexts: only the configured one is ever built.
        services.ConfigureDbContext<SqlitePortalDbContext>((sp, o) => o.AddInterceptors(sp.GetRequiredService<AuditInterceptor>()));
        services.ConfigureDbContext<PostgresPortalDbContext>((sp, o) => o.AddInterceptors(sp.GetRequiredService<AuditInterceptor>()));
        return services;
    }

    public static WebApplication MapAudit(this WebApplication app)
    {
        app.MapAuditEndpoints();
        return app;
    }
}
