using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Dashboard;

public static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        // The same figures as the home page, for monitoring by script: Admin and Support read them.
        var group = app.MapGroup("/api/dashboard").WithTags("Dashboard").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        group.MapGet("/", Get).WithName("GetDashboard").WithSummary("The dashboard's figures for a time range")
            .WithDescription("range: 1h (5-minute buckets), 24h (hourly, the default) or 7d (6-hour buckets). Requests per bucket and listener, delivery attempts, deliveries created per bucket by their state now, the backlog (due deliveries and the oldest due time), the webhooks failing most and the newest errors. Buckets are aligned to UTC; the last one holds now.");
        return app;
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<Ok<DashboardView>> Get(DashboardService dashboard, CancellationToken ct, string? range = null) =>
        TypedResults.Ok(await dashboard.GetAsync(range, ct));
}
