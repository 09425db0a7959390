using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Features.ApiKeys;

public static class ApiKeysSetup
{
    public static IServiceCollection AddApiKeys(this IServiceCollection services)
    {
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.CacheDuration >= TimeSpan.Zero && o.CacheDuration <= TimeSpan.FromMinutes(10), "ApiKeys:CacheDuration must be between 00:00:00 and 00:10:00.")
            .Validate(o => o.LastUsedFlushInterval >= TimeSpan.FromMilliseconds(100) && o.LastUsedFlushInterval <= TimeSpan.FromMinutes(1), "ApiKeys:LastUsedFlushInterval must be between 00:00:00.1 and 00:01:00.")
            .ValidateOnStart();
        services.AddScoped<ApiKeyService>();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<ApiKeyUsage>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiKeyUsage>());
        // Authorization: Bearer <api key>, for the API and the OpenAPI document.
        return services.AddApiCredentialScheme<ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName,
            request => request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase), order: 100);
    }

    public static WebApplication MapApiKeys(this WebApplication app)
    {
        app.MapApiKeysEndpoints();
        return app;
    }

    /// <summary>
    /// A Subscriber key opens /api/hooks/* and nothing else: any other path answers 403, whatever that endpoint's
    /// own policy says (a forgotten policy or an anonymous endpoint must not widen a Subscriber key).
    /// </summary>
    public static IApplicationBuilder UseSubscriberKeyBoundary(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.User.IsInRole(PortalRoles.Subscriber) && !context.Request.Path.StartsWithSegments("/api/hooks"))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status403Forbidden,
                        Title = "Forbidden.",
                        Detail = "A Subscriber key may only use /api/hooks/*.",
                    },
                });
                return;
            }

            await next(context);
        });
}
