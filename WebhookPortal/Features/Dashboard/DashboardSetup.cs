namespace WebhookPortal.Features.Dashboard;

/// <summary>The dashboard is a page only: it has services and no endpoints.</summary>
public static class DashboardSetup
{
    public static IServiceCollection AddDashboard(this IServiceCollection services) =>
        services.AddScoped<DashboardService>();
}
