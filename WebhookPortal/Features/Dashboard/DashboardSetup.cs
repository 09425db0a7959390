using Hangfire;

namespace WebhookPortal.Features.Dashboard;

/// <summary>The home page's figures: a service, and GET /api/dashboard with the same data.</summary>
public static class DashboardSetup
{
    public static IServiceCollection AddDashboard(this IServiceCollection services) =>
        services.AddScoped<DashboardService>().AddTransient<TrafficRollupJob>();

    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.MapDashboardEndpoints();
        app.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<TrafficRollupJob>(TrafficRollupJob.RecurringJobId, j => j.RunAsync(CancellationToken.None), Cron.Minutely());
        return app;
    }
}
