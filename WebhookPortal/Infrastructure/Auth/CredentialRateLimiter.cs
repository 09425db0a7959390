using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// ASP.NET Core's rate limiter in front of the two sign-in doors (the login form's POST and /api/authenticate):
/// every attempt, right or wrong, counts per client address. Failed checks have their own, tighter limit
/// (<see cref="CredentialThrottle"/>), which also covers Basic on the API.
/// </summary>
public static class CredentialRateLimiter
{
    public static IServiceCollection AddCredentialRateLimiter(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<CredentialRateLimitOptions>>((o, limits) =>
        {
            var settings = limits.Value;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => IsSignInRequest(context.Request)
                ? RateLimitPartition.GetFixedWindowLimiter(CredentialThrottle.AddressOf(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.AttemptsPerAddress,
                    Window = settings.Window,
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter(""));
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : (int)settings.Window.TotalSeconds;
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var detail = $"Too many sign-in attempts from this address; try again in {seconds} seconds.";
                if (AuthSetup.IsApiPath(context.Request.Path))
                {
                    await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                    {
                        HttpContext = context,
                        ProblemDetails = new ProblemDetails { Status = StatusCodes.Status429TooManyRequests, Title = "Too many sign-in attempts.", Detail = detail },
                    });
                }
                else
                {
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync(detail, cancellationToken);
                }
            };
        });
        return services;
    }

    public static bool IsSignInRequest(HttpRequest request) =>
        request.Path.StartsWithSegments("/api/authenticate") || (HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/Account/Login"));
}
